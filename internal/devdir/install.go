package devdir

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Default locations of the Debian packages php-cli and phpldapadmin.
const (
	DefaultPHPPath    = "/usr/bin/php"
	DefaultInstallDir = "/usr/share/phpldapadmin"
)

// InstallHint is appended to errors about missing packages.
const InstallHint = "install them with: apt-get install -y --no-install-recommends php-cli php-ldap php-xml phpldapadmin"

// ErrNotInstalled is wrapped by errors about a missing PHP, PHP extension
// or phpLDAPadmin.
var ErrNotInstalled = errors.New("PHP or phpLDAPadmin missing; " + InstallHint)

// requiredExtensions are the PHP extensions phpLDAPadmin cannot work
// without (its own start page checks the same ones).
var requiredExtensions = []string{"ldap", "xml", "session", "pcre"}

// checkInstall fails with ErrNotInstalled unless php runs, has the
// extensions phpLDAPadmin needs, and installDir holds phpLDAPadmin.
func checkInstall(phpPath, installDir string) error {
	if fi, err := os.Stat(phpPath); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%s not found or not executable: %w", phpPath, ErrNotInstalled)
	}
	for _, f := range []string{"htdocs/index.php", "lib/functions.php"} {
		if _, err := os.Stat(filepath.Join(installDir, f)); err != nil {
			return fmt.Errorf("no phpLDAPadmin in %s (%v): %w", installDir, err, ErrNotInstalled)
		}
	}
	// -n is not used: the extensions are loaded by the distribution's ini
	// files, exactly as they will be when the UI runs.
	script := `$m = []; foreach ($argv as $i => $e) { if ($i > 0 && !extension_loaded($e)) $m[] = $e; } echo implode(" ", $m);`
	out, err := exec.Command(phpPath, append([]string{"-r", script, "--"}, requiredExtensions...)...).Output()
	if err != nil {
		return fmt.Errorf("%s does not run: %v", phpPath, err)
	}
	if missing := strings.TrimSpace(string(out)); missing != "" {
		return fmt.Errorf("PHP lacks the extensions %s: %w", missing, ErrNotInstalled)
	}
	return nil
}
