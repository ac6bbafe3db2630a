package devdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// buildSite lays out, in dir, a phpLDAPadmin tree that runs the installed
// code with the configuration file configPHP, and returns warnings about
// what could not be used.
//
// Why a tree of links rather than a setting: phpLDAPadmin reads
// CONFDIR.'config.php', where CONFDIR is realpath(LIBDIR.'../config') and
// LIBDIR is realpath('../lib/') seen from htdocs, the working directory of
// every page. realpath resolves links, so a linked lib/ would lead straight
// back to the installed (Debian: /etc/phpldapadmin) configuration. Here
// htdocs/ and lib/ are real directories whose entries link into the
// installation, config/ holds the generated file, and everything else
// (templates, locale, queries, hooks, ...) is linked as it is. The one
// file of lib/ that is copied instead is functions.php, repaired (see
// cipherFixes).
func buildSite(installDir, dir string, configPHP []byte) (warnings []string, err error) {
	entries, err := os.ReadDir(installDir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		name := e.Name()
		src := filepath.Join(installDir, name)
		dst := filepath.Join(dir, name)
		switch name {
		case "htdocs":
			err = linkEntries(src, dst)
		case "lib":
			if err = linkEntries(src, dst); err == nil {
				err = repairFunctions(src, dst)
			}
		case "config":
			err = writeConfig(dst, configPHP)
		case "templates":
			var warn string
			warn, err = linkTemplates(src, dst)
			if warn != "" {
				warnings = append(warnings, warn)
			}
		default:
			err = os.Symlink(src, dst)
		}
		if err != nil {
			return warnings, fmt.Errorf("devdir: phpLDAPadmin site: %w", err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "config", "config.php")); err != nil {
		// An installation without a config/ directory of its own.
		if err := writeConfig(filepath.Join(dir, "config"), configPHP); err != nil {
			return warnings, fmt.Errorf("devdir: phpLDAPadmin site: %w", err)
		}
	}
	return warnings, nil
}

// linkEntries makes dst a real directory holding a link to each entry of src.
func linkEntries(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	if err := os.Mkdir(dst, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.Symlink(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// repairFunctions replaces the link to functions.php by a copy with
// cipherFixes applied, when they apply.
func repairFunctions(src, dst string) error {
	b, err := os.ReadFile(filepath.Join(src, "functions.php"))
	if err != nil {
		return err
	}
	fixed, changed := fixSessionCipher(b)
	if !changed {
		return nil
	}
	path := filepath.Join(dst, "functions.php")
	if err := os.Remove(path); err != nil {
		return err
	}
	return os.WriteFile(path, fixed, 0o644)
}

func writeConfig(dir string, configPHP []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	// It holds the session secret: readable by this user only.
	return os.WriteFile(filepath.Join(dir, "config.php"), configPHP, 0o600)
}

// linkTemplates links the installed templates (the forms "Generic: User
// Account", "Generic: Posix Group", ...). Debian keeps them in
// /etc/phpldapadmin/templates, readable only by root and group www-data;
// for anyone else the UI gets an empty template directory, which leaves it
// the generic "Default" form for every entry.
func linkTemplates(src, dst string) (warning string, err error) {
	if _, err := os.ReadDir(filepath.Join(src, "creation")); err == nil {
		return "", os.Symlink(src, dst)
	} else if !errors.Is(err, fs.ErrPermission) && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	for _, sub := range []string{"creation", "modification"} {
		if err := os.MkdirAll(filepath.Join(dst, sub), 0o755); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("cannot read phpLDAPadmin's templates in %s (Debian: root and group www-data only), so only the generic forms are offered; "+
		"to get the user and group forms, join the group (sudo adduser $USER www-data, then log in again)", src), nil
}
