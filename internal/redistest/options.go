package redistest

import (
	"errors"
	"time"
)

// Default locations of the programs of the Debian package redis-server.
const (
	DefaultServerPath = "/usr/bin/redis-server"
	DefaultCLIPath    = "/usr/bin/redis-cli"
)

// InstallHint is appended to errors about missing Redis programs.
const InstallHint = "install them with: apt-get install -y --no-install-recommends redis-server"

// ErrNotInstalled is wrapped by errors about missing Redis programs.
var ErrNotInstalled = errors.New("Redis programs missing; " + InstallHint)

// Options configures Start and StartCluster. The zero value starts a server
// without authentication.
type Options struct {
	// Password alone sets requirepass (the default user's password).
	// With Username it is that user's password instead.
	Password string
	// Username creates an ACL user with every permission and switches the
	// default user off, so only Username/Password can connect.
	Username string
	// ServerPath and CLIPath override the program locations (redis-cli is
	// only used to create a cluster).
	ServerPath string
	CLIPath    string
	// ReadyTimeout bounds each wait for a server (or the cluster) to become
	// ready; default 15s.
	ReadyTimeout time.Duration
	// KeepDir leaves the temporary directory behind on Stop (debugging).
	KeepDir bool
	// TLS, when set, adds a TLS listener (TLSAddr) for a stand-alone
	// server; the plain port stays, for the harness's own probes.
	TLS *TLSFiles
}

// TLSFiles are a server's TLS material (PEM files).
type TLSFiles struct {
	Cert, Key string
	// ClientCA, when set, makes the TLS listener require a client
	// certificate signed by it; otherwise clients need none.
	ClientCA string
}

// Option changes Options; used by StartT and StartClusterT.
type Option func(*Options)

// WithPassword sets requirepass for the default user.
func WithPassword(pw string) Option {
	return func(o *Options) { o.Username, o.Password = "", pw }
}

// WithUser creates the ACL user name with password pw and disables the
// default user.
func WithUser(name, pw string) Option {
	return func(o *Options) { o.Username, o.Password = name, pw }
}

// WithTLS adds a TLS listener with these files.
func WithTLS(f TLSFiles) Option { return func(o *Options) { o.TLS = &f } }

// WithOptions replaces all options at once.
func WithOptions(opts Options) Option { return func(o *Options) { *o = opts } }

func (o Options) withDefaults() Options {
	if o.ServerPath == "" {
		o.ServerPath = DefaultServerPath
	}
	if o.CLIPath == "" {
		o.CLIPath = DefaultCLIPath
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = 15 * time.Second
	}
	return o
}

func (o Options) validate() error {
	if o.Username != "" && o.Password == "" {
		return errors.New("redistest: an ACL user needs a password")
	}
	return nil
}
