package devdir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// Options configures Start.
type Options struct {
	// Tutorial leaves the user test and the posixGroup testgroup out of the
	// sample directory, for the tutorial that creates them in the UI.
	Tutorial bool
	// DataDir holds the *.ldif files; default: the sample directory
	// (testdata/ldap of the module).
	DataDir string
	// RootPassword of the directory's admin (the UI login); default random.
	RootPassword string
	// UI settings (see UIOptions): Port (0 = free), PHPPath, InstallDir.
	Port                int
	PHPPath, InstallDir string
}

// Dev is a running development directory: slapd and phpLDAPadmin.
type Dev struct {
	LDAP *slapdtest.Server
	UI   *UI

	dir      string // the tutorial's data files; removed by Stop
	tutorial bool
	sample   bool
}

// Start checks the installation, starts slapd with the sample directory
// (or DataDir), then phpLDAPadmin pointing at it. Call Stop.
func Start(opts Options) (*Dev, error) {
	php, install := opts.PHPPath, opts.InstallDir
	if php == "" {
		php = DefaultPHPPath
	}
	if install == "" {
		install = DefaultInstallDir
	}
	// Before slapd starts: a missing package is the likeliest failure.
	if err := checkInstall(php, install); err != nil {
		return nil, fmt.Errorf("devdir: %w", err)
	}
	d := &Dev{tutorial: opts.Tutorial, sample: opts.DataDir == ""}
	data := opts.DataDir
	if data == "" {
		var err error
		if data, err = slapdtest.DefaultDataDir(); err != nil {
			return nil, err
		}
	}
	if opts.Tutorial {
		dir, err := os.MkdirTemp("", "devdir-data-")
		if err != nil {
			return nil, err
		}
		d.dir = dir
		if err := writeTutorialData(data, filepath.Join(dir, "ldif")); err != nil {
			_ = d.Stop()
			return nil, err
		}
		data = filepath.Join(dir, "ldif")
	}
	var err error
	d.LDAP, err = slapdtest.Start(slapdtest.Options{DataDir: data, RootPassword: opts.RootPassword})
	if err != nil {
		_ = d.Stop()
		return nil, err
	}
	d.UI, err = StartUI(UIOptions{
		LDAPURL:    d.LDAP.StartTLSURL(),
		CAFile:     d.LDAP.CAFile(),
		BaseDN:     d.LDAP.BaseDN(),
		LoginDN:    d.LDAP.RootDN(),
		Port:       opts.Port,
		PHPPath:    php,
		InstallDir: install,
	})
	if err != nil {
		_ = d.Stop()
		return nil, err
	}
	return d, nil
}

// Tutorial reports whether the tutorial's entries were left out.
func (d *Dev) Tutorial() bool { return d.tutorial }

// Users returns the sample users in the directory: none for a DataDir of
// one's own, all but test for a tutorial directory.
func (d *Dev) Users() []slapdtest.SampleUser {
	if !d.sample {
		return nil
	}
	var out []slapdtest.SampleUser
	for _, u := range slapdtest.SampleUsers() {
		if d.tutorial && u.Key == TutorialUserKey {
			continue
		}
		out = append(out, u)
	}
	return out
}

// Stop stops phpLDAPadmin, then slapd, and removes the temporary
// directories. It is idempotent.
func (d *Dev) Stop() error {
	var errs []error
	if d.UI != nil {
		errs = append(errs, d.UI.Stop())
	}
	if d.LDAP != nil {
		errs = append(errs, d.LDAP.Stop())
	}
	if d.dir != "" {
		errs = append(errs, os.RemoveAll(d.dir))
		d.dir = ""
	}
	return errors.Join(errs...)
}
