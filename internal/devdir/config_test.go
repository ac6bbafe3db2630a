package devdir

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPHPString: PHP itself must read each literal back as the input.
func TestPHPString(t *testing.T) {
	tests := []string{
		"plain",
		"o'brien",
		`cn=Smith\, John,ou=people,dc=example,dc=org`,
		`trailing backslash \`,
		`\'`,
		"$dollar {$braces} \n newline",
		"",
	}
	for _, in := range tests {
		out, err := exec.Command(DefaultPHPPath, "-r", "echo "+phpString(in)+";").Output()
		if err != nil {
			t.Fatalf("php -r with %s: %v (%s)", phpString(in), err, InstallHint)
		}
		if string(out) != in {
			t.Errorf("PHP read %s back as %q, want %q", phpString(in), out, in)
		}
	}
}

// TestRenderConfig: the generated config.php is valid PHP and carries
// every setting, quoted.
func TestRenderConfig(t *testing.T) {
	c := siteConfig{
		ServerName:    "dev 'directory'",
		Host:          "ldap://127.0.0.1:3890",
		BaseDN:        "dc=example,dc=org",
		LoginDN:       `cn=admin\, root,dc=example,dc=org`,
		CAFile:        "/tmp/x y/ca.pem",
		SessionSecret: "0123456789abcdef",
	}
	b, err := renderConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.php")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(DefaultPHPPath, "-l", path).CombinedOutput(); err != nil {
		t.Fatalf("php -l: %v\n%s\n%s", err, out, b)
	}
	text := string(b)
	for _, want := range []string{
		"'name'," + phpString(c.ServerName),
		"'host'," + phpString(c.Host),
		"array(" + phpString(c.BaseDN) + ")",
		"'bind_id'," + phpString(c.LoginDN),
		"'tls_cacert'," + phpString(c.CAFile),
		"['blowfish'] = " + phpString(c.SessionSecret),
		"setValue('server','tls',true)",
		"setValue('login','anon_bind',false)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("config.php lacks %s:\n%s", want, text)
		}
	}
}
