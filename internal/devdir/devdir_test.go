package devdir

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// bindUser binds as dn with password over StartTLS with the directory's CA.
func bindUser(t *testing.T, s *slapdtest.Server, dn, password string) error {
	t.Helper()
	c, err := ldap.DialURL(s.StartTLSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(s.ClientTLSConfig()); err != nil {
		t.Fatal(err)
	}
	return c.Bind(dn, password)
}

func TestStart(t *testing.T) {
	test, _ := slapdtest.SampleUserByKey(TutorialUserKey)
	alice, _ := slapdtest.SampleUserByKey("ALICE")
	tests := []struct {
		name     string
		tutorial bool
	}{
		{"tutorial: test and testgroup left for the UI", true},
		{"the whole sample directory", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := startDevT(t, Options{Tutorial: tc.tutorial})
			if err := bindUser(t, d.LDAP, alice.DN, alice.Password); err != nil {
				t.Fatalf("alice cannot bind: %v", err)
			}
			err := bindUser(t, d.LDAP, test.DN, test.Password)
			if tc.tutorial && !ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
				t.Fatalf("test binds in a tutorial directory (%v)", err)
			}
			if !tc.tutorial && err != nil {
				t.Fatalf("test cannot bind in the whole directory: %v", err)
			}
			hasTest := false
			for _, u := range d.Users() {
				hasTest = hasTest || u.Key == TutorialUserKey
			}
			if hasTest == tc.tutorial {
				t.Fatalf("Users() lists test: %v, tutorial %v", hasTest, tc.tutorial)
			}

			env := sourceEnv(t, d.EnvLines())
			want := map[string]string{
				"LDAP_UI_URL":        d.UI.URL(),
				"LDAP_UI_LOGIN_DN":   slapdtest.RootDN,
				"LDAP_ROOT_PASSWORD": d.LDAP.RootPassword(),
				"LDAP_STARTTLS_URL":  d.LDAP.StartTLSURL(),
				"LDAP_CA_FILE":       d.LDAP.CAFile(),
				"LDAP_TUTORIAL":      map[bool]string{true: "1", false: "0"}[tc.tutorial],
			}
			for k, v := range want {
				if env[k] != v {
					t.Errorf("%s=%q, want %q", k, env[k], v)
				}
			}
			if _, listed := env["LDAP_USER_TEST_UID"]; listed == tc.tutorial {
				t.Errorf("LDAP_USER_TEST_UID listed: %v in a tutorial directory: %v", listed, tc.tutorial)
			}
			page := loginOverHTTP(t, env["LDAP_UI_URL"], env["LDAP_UI_LOGIN_DN"], env["LDAP_ROOT_PASSWORD"])
			if !strings.Contains(page, "Logged in as: "+slapdtest.RootDN) {
				t.Fatalf("cannot log into the UI with the printed login:\n%.1500s", page)
			}

			banner := d.Banner()
			for _, s := range []string{d.UI.URL(), slapdtest.RootDN, d.LDAP.RootPassword(), d.LDAP.CAFile(), alice.UID + " / " + alice.Password} {
				if !strings.Contains(banner, s) {
					t.Errorf("the banner lacks %q:\n%s", s, banner)
				}
			}
			if strings.Contains(banner, "Not in the directory yet") != tc.tutorial {
				t.Errorf("tutorial note shown: %v, tutorial %v:\n%s", !tc.tutorial, tc.tutorial, banner)
			}
		})
	}
}

func TestStopRemovesEverything(t *testing.T) {
	d, err := Start(Options{Tutorial: true})
	if err != nil {
		t.Fatalf("devdir: cannot start: %v", err)
	}
	dirs := []string{d.LDAP.Dir(), d.UI.Dir(), d.dir}
	if err := d.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s left behind (%v)", dir, err)
		}
	}
	if d.LDAP.Running() {
		t.Error("slapd still runs")
	}
	if err := d.Stop(); err != nil {
		t.Errorf("second Stop = %v", err)
	}
}

// A missing package is reported before slapd starts, with the apt-get line.
func TestStartWithoutPHP(t *testing.T) {
	_, err := Start(Options{PHPPath: filepath.Join(t.TempDir(), "php")})
	if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "apt-get install") {
		t.Fatalf("Start = %v, want ErrNotInstalled with the apt-get line", err)
	}
}

// sourceEnv sources KEY='value' lines with sh, as the demo script does.
func sourceEnv(t *testing.T, lines string) map[string]string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(path, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("sh", "-c", `set -a; . "$1"; exec env -0`, "sh", path).Output()
	if err != nil {
		t.Fatalf("sh could not source the lines: %v\n%s", err, lines)
	}
	env := map[string]string{}
	for _, kv := range strings.Split(string(out), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "LDAP") {
			env[k] = v
		}
	}
	return env
}
