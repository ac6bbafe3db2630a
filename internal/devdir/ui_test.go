package devdir

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

func startUIT(t *testing.T, opts UIOptions) *UI {
	t.Helper()
	u, err := StartUI(opts)
	if err != nil {
		t.Fatalf("devdir: cannot start phpLDAPadmin: %v", err)
	}
	t.Cleanup(func() {
		if err := u.Stop(); err != nil {
			t.Errorf("devdir: stop: %v", err)
		}
	})
	return u
}

func uiOptionsFor(s *slapdtest.Server) UIOptions {
	return UIOptions{LDAPURL: s.StartTLSURL(), CAFile: s.CAFile(), BaseDN: s.BaseDN(), LoginDN: s.RootDN()}
}

// loginOverHTTP logs in through phpLDAPadmin's login form, as a browser
// without JavaScript would, and returns the page the form leads to (where
// phpLDAPadmin shows an error) and the start page after it.
func loginOverHTTP(t *testing.T, base, dn, password string) string {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	get := func(path string) string {
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	get("index.php") // starts the session
	form := url.Values{"cmd": {"login"}, "server_id": {"1"}, "nodecode[login_pass]": {"1"}, "login": {dn}, "login_pass": {password}}
	resp, err := c.PostForm(base+"cmd.php", form) // redirects are followed
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	after, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(after) + "\n" + get("index.php")
}

// TestUILogin: the admin logs in over StartTLS; the CA is really checked
// (a UI given the wrong CA cannot connect) and the password too.
func TestUILogin(t *testing.T) {
	s := slapdtest.StartT(t)
	good := startUIT(t, uiOptionsFor(s))
	wrongCA := uiOptionsFor(s)
	wrongCA.CAFile = s.WrongCAFile()
	bad := startUIT(t, wrongCA)

	tests := []struct {
		name     string
		ui       *UI
		password string
		want     string
		notWant  string
	}{
		{"admin with the right CA", good, s.RootPassword(), "Logged in as: " + s.RootDN(), "Could not start TLS"},
		{"a wrong password", good, "not-the-password", "Invalid credentials", "Logged in as"},
		{"a UI that does not trust the server's CA", bad, s.RootPassword(), "Could not start TLS", "Logged in as"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page := loginOverHTTP(t, tc.ui.URL(), s.RootDN(), tc.password)
			if !strings.Contains(page, tc.want) || strings.Contains(page, tc.notWant) {
				t.Fatalf("after login: want %q and no %q; page:\n%.2000s", tc.want, tc.notWant, page)
			}
		})
	}
	// The successful login came over TLS: slapd logged the StartTLS and
	// a bind of the admin on a TLS connection (ssf > 0).
	log, err := os.ReadFile(s.LogFile())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "STARTTLS") || !strings.Contains(string(log), `BIND dn="`+s.RootDN()+`" mech=SIMPLE bind_ssf=0 ssf=256`) {
		t.Fatalf("slapd's log shows no admin bind over TLS:\n%s", log)
	}
	// php's log has requests, never the password.
	for _, u := range []*UI{good, bad} {
		b, err := os.ReadFile(u.LogFile())
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), s.RootPassword()) {
			t.Fatalf("%s holds the admin password", u.LogFile())
		}
	}
}

// TestUIStopCleansUp: php ends, the port is free, the directory is gone.
func TestUIStopCleansUp(t *testing.T) {
	s := slapdtest.StartT(t)
	u, err := StartUI(uiOptionsFor(s))
	if err != nil {
		t.Fatalf("devdir: cannot start phpLDAPadmin: %v", err)
	}
	dir, addr := u.Dir(), net.JoinHostPort("127.0.0.1", strconv.Itoa(u.Port()))
	if err := u.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-u.Done():
	default:
		t.Fatal("php still runs after Stop")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("%s still exists (%v)", dir, err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections", addr)
	}
	if err := u.Stop(); err != nil {
		t.Fatalf("second Stop = %v", err)
	}
}

func TestUIFixedPort(t *testing.T) {
	s := slapdtest.StartT(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	busy := uiOptionsFor(s)
	busy.Port = port
	if _, err := StartUI(busy); err == nil || !strings.Contains(err.Error(), "Address already in use") {
		t.Fatalf("StartUI on a busy port = %v, want php's 'Address already in use'", err)
	}
	l.Close()
	u := startUIT(t, busy)
	if u.Port() != port || !strings.HasSuffix(u.URL(), ":"+strconv.Itoa(port)+"/") {
		t.Fatalf("UI on %s, want port %d", u.URL(), port)
	}
}

func TestUIMissingInstallation(t *testing.T) {
	s := slapdtest.StartT(t)
	empty := t.TempDir()
	tests := []struct {
		name string
		edit func(*UIOptions)
	}{
		{"no php", func(o *UIOptions) { o.PHPPath = filepath.Join(empty, "php") }},
		{"no phpLDAPadmin", func(o *UIOptions) { o.InstallDir = empty }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := uiOptionsFor(s)
			tc.edit(&o)
			_, err := StartUI(o)
			if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "apt-get install -y --no-install-recommends php-cli php-ldap php-xml phpldapadmin") {
				t.Fatalf("StartUI = %v, want ErrNotInstalled with the apt-get line", err)
			}
		})
	}
}

// TestLinkTemplates: readable templates are used as installed; missing or
// unreadable ones give the UI an empty template directory and a warning.
func TestLinkTemplates(t *testing.T) {
	readable := t.TempDir()
	if err := os.Mkdir(filepath.Join(readable, "creation"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		src      string
		wantLink bool
	}{
		{"readable", readable, true},
		{"missing", filepath.Join(t.TempDir(), "templates"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "templates")
			warn, err := linkTemplates(tc.src, dst)
			if err != nil {
				t.Fatal(err)
			}
			fi, err := os.Lstat(dst)
			if err != nil {
				t.Fatal(err)
			}
			isLink := fi.Mode()&os.ModeSymlink != 0
			if isLink != tc.wantLink || (warn == "") != tc.wantLink {
				t.Fatalf("link %v, warning %q; want link %v", isLink, warn, tc.wantLink)
			}
			if !tc.wantLink {
				for _, sub := range []string{"creation", "modification"} {
					if fi, err := os.Stat(filepath.Join(dst, sub)); err != nil || !fi.IsDir() {
						t.Errorf("no empty %s directory: %v", sub, err)
					}
				}
			}
		})
	}
}

// TestSiteLayout: the pages run the installed code, except the repaired
// functions.php, with the generated configuration.
func TestSiteLayout(t *testing.T) {
	s := slapdtest.StartT(t)
	u := startUIT(t, uiOptionsFor(s))
	site := filepath.Join(u.Dir(), "site")
	tests := []struct {
		path     string
		wantLink bool
	}{
		{"htdocs/index.php", true},
		{"lib/ds_ldap.php", true},
		{"lib/functions.php", false},
		{"config/config.php", false},
	}
	for _, tc := range tests {
		fi, err := os.Lstat(filepath.Join(site, tc.path))
		if err != nil {
			t.Fatal(err)
		}
		if isLink := fi.Mode()&os.ModeSymlink != 0; isLink != tc.wantLink {
			t.Errorf("%s: link %v, want %v", tc.path, isLink, tc.wantLink)
		}
	}
	fi, err := os.Stat(filepath.Join(site, "config", "config.php"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("config.php mode %v (%v), want 0600: it holds the session secret", fi.Mode(), err)
	}
	b, err := os.ReadFile(filepath.Join(site, "lib", "functions.php"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), cipherFixes[0].to) {
		t.Error("the site's functions.php is not the repaired one")
	}
}
