package slapdtest

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/ldaptest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testproc"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testserver"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
)

func TestStartStop(t *testing.T) {
	s, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	pid, dir := s.PID(), s.Dir()
	if !s.Running() || pid == 0 || !testproc.Alive(pid) {
		t.Fatalf("not running after Start (pid %d)", pid)
	}
	if s.Addr() == s.LDAPSAddr() {
		t.Fatal("plain and ldaps share a port")
	}
	for _, u := range []string{s.URL(), s.StartTLSURL(), s.LDAPSURL()} {
		if !strings.HasPrefix(u, "ldap") || !strings.Contains(u, "127.0.0.1:") {
			t.Fatalf("odd URL %q", u)
		}
	}
	if s.StartTLSURL() != s.URL() {
		t.Fatal("StartTLS must use the plain listener")
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if s.Running() || testproc.Alive(pid) {
		t.Fatalf("slapd %d still alive after Stop", pid)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("directory %s not removed: %v", dir, err)
	}
	if testserver.Accepts(s.Addr()) {
		t.Fatal("port still accepts after Stop")
	}
	if err := s.Restart(); err == nil {
		t.Fatal("Restart after Stop succeeded")
	}
}

func TestMissingProgramsFailWithInstallHint(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"slapd", Options{SlapdPath: "/nonexistent/slapd"}},
		{"ldapmodify", Options{LDAPModifyPath: "/nonexistent/ldapmodify"}},
		{"directory", Options{SlapdPath: "/usr/sbin"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Start(tc.opts)
			if err == nil {
				s.Stop()
				t.Fatal("Start succeeded")
			}
			if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "apt-get install -y slapd ldap-utils") {
				t.Fatalf("error %q lacks the install hint", err)
			}
		})
	}
}

func TestStartTFailsWithInstallHint(t *testing.T) {
	msg, _ := testutil.CatchFatal(t, func(tb testing.TB) {
		StartT(tb, WithOptions(Options{SlapdPath: "/nonexistent/slapd"}))
	})
	if !strings.Contains(msg, "apt-get install -y slapd ldap-utils") {
		t.Fatalf("StartT message %q lacks the install hint", msg)
	}
}

func TestBadDataFailsWithSlapdOutput(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/x.ldif", []byte("dn: dc=other,dc=com\nobjectClass: dcObject\ndc: other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Start(Options{DataDir: dir})
	if err == nil {
		s.Stop()
		t.Fatal("Start with data outside the suffix succeeded")
	}
	if !strings.Contains(err.Error(), "ldapmodify") {
		t.Fatalf("error does not explain: %v", err)
	}
}

func TestKillThenRestart(t *testing.T) {
	s := StartT(t)
	alice, _ := SampleUserByKey("ALICE")
	url := s.URL()
	if err := s.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	if s.Running() {
		t.Fatal("Running after Kill")
	}
	for _, u := range []string{s.URL(), s.LDAPSURL()} {
		start := time.Now()
		c, err := ldap.DialURL(u, ldap.DialWithTLSConfig(s.ClientTLSConfig()))
		if err == nil {
			c.Close()
			t.Fatalf("dial %s succeeded after Kill", u)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("dial failure took %v, want fast refusal", d)
		}
	}
	if err := s.Kill(); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("second Kill: %v, want ErrNotRunning", err)
	}
	if err := s.Freeze(); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Freeze when killed: %v", err)
	}
	if err := s.Restart(); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if s.URL() != url {
		t.Fatalf("URL changed from %s to %s", url, s.URL())
	}
	for _, tr := range ldaptest.Transports {
		if err := bindOnce(t, s, tr, alice.DN, alice.Password); err != nil {
			t.Fatalf("bind over %s after restart: %v", tr, err)
		}
	}
}

func TestFreezeThaw(t *testing.T) {
	s := StartT(t)
	alice, _ := SampleUserByKey("ALICE")
	if err := s.Freeze(); err != nil {
		t.Fatalf("Freeze: %v", err)
	}
	// The kernel completes the handshake for a frozen process.
	c, err := ldap.DialURL(s.URL())
	if err != nil {
		t.Fatalf("dial a frozen server: %v", err)
	}
	c.SetTimeout(300 * time.Millisecond)
	start := time.Now()
	err = c.Bind(alice.DN, alice.Password)
	c.Close()
	if err == nil {
		t.Fatal("bind on a frozen server succeeded")
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > 3*time.Second {
		t.Fatalf("bind failed after %v (%v), want a ~300ms timeout", d, err)
	}
	if !strings.Contains(err.Error(), "timeout") && !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("want a timeout, got %v", err)
	}
	if err := s.Thaw(); err != nil {
		t.Fatalf("Thaw: %v", err)
	}
	if err := bindOnce(t, s, ldaptest.Plain, alice.DN, alice.Password); err != nil {
		t.Fatalf("bind after Thaw: %v", err)
	}
}

func TestRestartKeepsPortsAndData(t *testing.T) {
	s := StartT(t)
	carol, _ := SampleUserByKey("CAROL")
	url, ldapsURL, oldPID := s.URL(), s.LDAPSURL(), s.PID()
	if err := s.SetPassword(carol.DN, "carol-new"); err != nil {
		t.Fatal(err)
	}
	if err := s.Freeze(); err != nil { // Restart must cope with a frozen slapd
		t.Fatal(err)
	}
	if err := s.Restart(); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if s.URL() != url || s.LDAPSURL() != ldapsURL {
		t.Fatal("ports changed")
	}
	if s.PID() == oldPID || testproc.Alive(oldPID) {
		t.Fatal("old slapd still running")
	}
	if err := bindOnce(t, s, ldaptest.LDAPS, carol.DN, "carol-new"); err != nil {
		t.Fatalf("changed password lost across restart: %v", err)
	}
}

// A test binary that dies without Stop must not leave slapd behind: the
// helper process below starts a server and exits abruptly.
func TestSlapdDiesWithTestBinary(t *testing.T) {
	pid, dir := testutil.AbandonedServer(t, "^TestHelperAbandonServer$", "SLAPDTEST_HELPER=1")
	t.Cleanup(func() { os.RemoveAll(dir) })
	testutil.WaitGone(t, pid, 5*time.Second)
}

func TestHelperAbandonServer(t *testing.T) {
	if os.Getenv("SLAPDTEST_HELPER") != "1" {
		return // only meaningful as the child of TestSlapdDiesWithTestBinary
	}
	s, err := Start(Options{})
	if err != nil {
		testutil.AbandonServer(0, "", err)
	}
	testutil.AbandonServer(s.PID(), s.Dir(), nil) // no Stop: Pdeathsig must kill slapd
}
