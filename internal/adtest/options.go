package adtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testserver"
)

// Default locations in Debian: samba is in package samba (a dependency of
// samba-ad-dc), samba-tool in samba-common-bin (a dependency of samba),
// ldbmodify in ldb-tools. samba-ad-provision holds the provisioning data
// samba-tool reads.
const (
	DefaultSambaPath     = "/usr/sbin/samba"
	DefaultSambaToolPath = "/usr/bin/samba-tool"
	DefaultLDBModifyPath = "/usr/bin/ldbmodify"
)

// InstallHint is part of every error about missing Samba programs.
const InstallHint = "install them with: apt-get install -y --no-install-recommends samba-ad-dc samba-ad-provision ldb-tools"

// ErrNotInstalled is wrapped by errors about missing Samba programs.
var ErrNotInstalled = errors.New("Samba AD DC programs missing; " + InstallHint)

// Options configures Start. The zero value is what tests want.
type Options struct {
	// SambaPath, SambaToolPath and LDBModifyPath override the program
	// locations.
	SambaPath, SambaToolPath, LDBModifyPath string
	// NoTemplate provisions a new domain for this DC instead of copying
	// the machine's cached template (see README: about 5 s slower).
	NoTemplate bool
	// LockTimeout bounds the wait for another process's DC to stop (only
	// one DC can run per machine); default 5 minutes.
	LockTimeout time.Duration
	// ReadyTimeout bounds the wait for samba to accept an LDAPS bind;
	// default 60 s.
	ReadyTimeout time.Duration
	// DisableOldPasswordPeriod sets Samba's "old password allowed period"
	// to 0. By default (60 minutes, as in AD) the previous password still
	// binds for an hour after a change or an administrator's reset.
	DisableOldPasswordPeriod bool
	// DNS provisions the domain with Samba's internal DNS server and runs
	// it on a free loopback port (DC.DNSAddr): Samba registers the DC's own
	// SRV, A and host records, and accepts unsigned DNS updates, so tests
	// can add and delete records (DC.UpdateDNS). Its template is cached
	// beside the plain one.
	DNS bool
	// KeepDir leaves the DC's directory behind on Stop (debugging).
	KeepDir bool
	// Logf, if set, receives progress messages (a wait for the machine
	// lock, a template being built). StartT and Shared use t.Logf.
	Logf func(format string, args ...any)
	// StateDir holds the machine lock and the template cache; default
	// os.TempDir()/tyk-ldap-auth-adtest. Every process must agree on it,
	// so change it only in tests of the harness itself.
	StateDir string
}

func (o Options) withDefaults() Options {
	if o.SambaPath == "" {
		o.SambaPath = DefaultSambaPath
	}
	if o.SambaToolPath == "" {
		o.SambaToolPath = DefaultSambaToolPath
	}
	if o.LDBModifyPath == "" {
		o.LDBModifyPath = DefaultLDBModifyPath
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = 5 * time.Minute
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = 60 * time.Second
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.StateDir == "" {
		o.StateDir = DefaultStateDir()
	}
	return o
}

// DefaultStateDir is where the machine lock and the template cache live.
func DefaultStateDir() string { return filepath.Join(os.TempDir(), "tyk-ldap-auth-adtest") }

// checkPrograms fails with ErrNotInstalled when a program is not an
// executable file, so the developer learns what to install.
func (o Options) checkPrograms() error {
	if err := testserver.CheckPrograms(ErrNotInstalled, o.SambaPath, o.SambaToolPath, o.LDBModifyPath); err != nil {
		return fmt.Errorf("adtest: %w", err)
	}
	return nil
}
