package slapdtest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testserver"
)

// ModulePath is the module whose testdata/ldap holds the sample directory.
const ModulePath = "github.com/tyk-ldap-auth/tyk-ldap-auth"

// Default locations of the Debian packages slapd and ldap-utils.
const (
	DefaultSlapdPath      = "/usr/sbin/slapd"
	DefaultLDAPModifyPath = "/usr/bin/ldapmodify"
)

// InstallHint is appended to errors about missing OpenLDAP programs.
const InstallHint = "install them with: apt-get install -y slapd ldap-utils"

// Options configures Start. The zero value starts the sample directory.
type Options struct {
	// DataDir holds the *.ldif files loaded (in name order) after the
	// first start. Empty: testdata/ldap of the module root (see
	// DefaultDataDir).
	DataDir string
	// NoData starts an empty database (not even the suffix entry).
	NoData bool
	// ExtraLDIF is applied (ldapmodify -a, as the rootdn) after the data.
	ExtraLDIF string
	// PasswordPolicy, when set, loads the ppolicy overlay with that
	// default policy (see WithPasswordPolicy).
	PasswordPolicy *PasswordPolicy
	// SyncProv loads the syncprov overlay, so the server offers RFC 4533
	// content synchronisation; without it a watch has to poll.
	SyncProv bool
	// SelfWritable are attributes every user may change on their own
	// entry (an ACL some directories have for mail or a display name).
	SelfWritable []string
	// RootPassword for RootDN; empty: a random one.
	RootPassword string
	// DisableStats runs slapd with "-d none" instead of "-d stats": no
	// per-operation log (useful for long benchmarks), and Counters fails.
	DisableStats bool
	// SlapdPath and LDAPModifyPath override the program locations.
	SlapdPath      string
	LDAPModifyPath string
	// ReadyTimeout bounds each wait for slapd to answer; default 15s.
	ReadyTimeout time.Duration
	// KeepDir leaves the temporary directory behind on Stop (debugging).
	KeepDir bool
}

// Option changes Options; used by StartT.
type Option func(*Options)

// WithSelfWritable lets every user change attrs on their own entry.
func WithSelfWritable(attrs ...string) Option {
	return func(o *Options) { o.SelfWritable = append(o.SelfWritable, attrs...) }
}

// WithDataDir loads the *.ldif files of dir instead of the sample directory.
func WithDataDir(dir string) Option { return func(o *Options) { o.DataDir = dir } }

// WithNoData starts an empty database.
func WithNoData() Option { return func(o *Options) { o.NoData = true } }

// WithExtraLDIF applies ldif (ldapmodify -a syntax) after the data.
func WithExtraLDIF(ldif string) Option { return func(o *Options) { o.ExtraLDIF = ldif } }

// WithSyncProv loads the syncprov overlay (content synchronisation).
func WithSyncProv() Option { return func(o *Options) { o.SyncProv = true } }

// WithRootPassword fixes the rootdn password.
func WithRootPassword(pw string) Option { return func(o *Options) { o.RootPassword = pw } }

// WithoutStats turns the stats log (and so Counters) off.
func WithoutStats() Option { return func(o *Options) { o.DisableStats = true } }

// WithOptions replaces all options at once.
func WithOptions(opts Options) Option { return func(o *Options) { *o = opts } }

// ErrNotInstalled is wrapped by errors about missing OpenLDAP programs.
var ErrNotInstalled = errors.New("OpenLDAP programs missing; " + InstallHint)

func (o Options) withDefaults() Options {
	if o.SlapdPath == "" {
		o.SlapdPath = DefaultSlapdPath
	}
	if o.LDAPModifyPath == "" {
		o.LDAPModifyPath = DefaultLDAPModifyPath
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = 15 * time.Second
	}
	return o
}

// checkPrograms fails with ErrNotInstalled when a program is not an
// executable file, so StartT can tell the developer what to install.
func (o Options) checkPrograms() error {
	return testserver.CheckPrograms(ErrNotInstalled, o.SlapdPath, o.LDAPModifyPath)
}

// DefaultDataDir returns testdata/ldap of the module root found by walking
// up from the working directory.
func DefaultDataDir() (string, error) {
	root, err := FindModuleRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "testdata", "ldap"), nil
}

// FindModuleRoot walks up from the working directory to the go.mod whose
// module line is ModulePath. Nested modules (such as the Tyk stand-in under
// testdata) are skipped, so tests anywhere in the tree find the same root.
func FindModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if modulePathOf(filepath.Join(dir, "go.mod")) == ModulePath {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod for module %s above the working directory; set Options.DataDir", ModulePath)
		}
		dir = parent
	}
}

func modulePathOf(gomod string) string {
	f, err := os.Open(gomod)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "module"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}
