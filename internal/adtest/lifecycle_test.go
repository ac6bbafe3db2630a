package adtest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/ldaptest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testproc"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testserver"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
)

// exclusive stops the shared DC: the test needs the machine's only DC
// slot for a DC of its own. A later Shared starts a new one.
func exclusive(t *testing.T) {
	t.Helper()
	if err := StopShared(); err != nil {
		t.Fatal(err)
	}
}

// holdMachineLock waits for the machine lock (other test binaries may run
// a DC right now) and keeps it until the test ends, so assertions about
// ports and processes are not disturbed by them.
func holdMachineLock(t *testing.T) {
	t.Helper()
	l, err := acquireMachineLock(DefaultStateDir(), 5*time.Minute, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.release(); err != nil {
			t.Error(err)
		}
	})
}

func TestStartStop(t *testing.T) {
	exclusive(t)
	dc, err := Start(Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	pid, dir := dc.PID(), dc.Dir()
	t.Logf("timings: %+v", dc.Timings())
	if !dc.Running() || pid == 0 || !testproc.Alive(pid) {
		t.Fatalf("samba not running after Start (pid %d)", pid)
	}
	if pgid, err := syscall.Getpgid(pid); err != nil || pgid != pid {
		t.Fatalf("samba's process group %d (%v), want its own %d", pgid, err, pid)
	}
	for _, u := range []string{dc.LDAPURL(), dc.StartTLSURL(), dc.LDAPSURL()} {
		if !testserver.Accepts(strings.TrimPrefix(strings.TrimPrefix(u, "ldaps://"), "ldap://")) {
			t.Fatalf("nothing listens for %s", u)
		}
	}
	if dc.LDAPURL() != "ldap://127.0.0.1:389" || dc.LDAPSURL() != "ldaps://127.0.0.1:636" {
		t.Fatalf("URLs %s %s", dc.LDAPURL(), dc.LDAPSURL())
	}
	for _, f := range []string{dc.CAFile(), dc.ServerCertFile(), dc.LogFile()} {
		if !strings.HasPrefix(f, dir+string(filepath.Separator)) {
			t.Fatalf("%s is outside the DC's directory %s", f, dir)
		}
		if _, err := os.Stat(f); err != nil {
			t.Fatal(err)
		}
	}
	conf := string(testutil.ReadFile(t, filepath.Join(dir, "etc", "smb.conf")))
	if !strings.Contains(conf, "private dir = "+filepath.Join(dir, "private")) || strings.Contains(conf, "template-") {
		t.Fatalf("smb.conf does not point at %s:\n%s", dir, conf)
	}
	if err := dc.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := dc.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if dc.Running() || testproc.Alive(pid) || !testproc.GroupGone(pid) {
		t.Fatalf("samba (pid %d) or its group survived Stop", pid)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("directory %s not removed: %v", dir, err)
	}
	holdMachineLock(t) // Stop released it; now no other DC can start
	for _, addr := range []string{"127.0.0.1:389", "127.0.0.1:636"} {
		if testserver.Accepts(addr) {
			t.Fatalf("%s still accepts after Stop", addr)
		}
	}
}

func TestSecondDCInProcessRefused(t *testing.T) {
	dc := Shared(t)
	start := time.Now()
	other, err := Start(Options{})
	if err == nil {
		other.Stop()
		t.Fatal("a second DC started in the same process")
	}
	if !errors.Is(err, ErrDCInProcess) || time.Since(start) > time.Second {
		t.Fatalf("second Start: %v after %v, want ErrDCInProcess at once", err, time.Since(start))
	}
	alice := sampleUser(t, KeyAlice)
	if err := bind(t, dc, ldaptest.LDAPS, alice.UPN, alice.Password); err != nil {
		t.Fatalf("the shared DC broke: %v", err)
	}
}

func TestMissingProgramsFailWithInstallHint(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"samba", Options{SambaPath: "/nonexistent/samba"}},
		{"samba-tool", Options{SambaToolPath: "/nonexistent/samba-tool"}},
		{"ldbmodify", Options{LDBModifyPath: "/nonexistent/ldbmodify"}},
		{"a directory", Options{SambaPath: "/usr/sbin"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dc, err := Start(tc.opts)
			if err == nil {
				dc.Stop()
				t.Fatal("Start succeeded")
			}
			if !errors.Is(err, ErrNotInstalled) ||
				!strings.Contains(err.Error(), "apt-get install -y --no-install-recommends samba-ad-dc samba-ad-provision ldb-tools") {
				t.Fatalf("error %q lacks the install hint", err)
			}
		})
	}
}

func TestStartTFailsWithInstallHint(t *testing.T) {
	msg, _ := testutil.CatchFatal(t, func(tb testing.TB) { StartT(tb, Options{SambaToolPath: "/nonexistent/samba-tool"}) })
	if !strings.Contains(msg, "apt-get install -y --no-install-recommends samba-ad-dc samba-ad-provision ldb-tools") {
		t.Fatalf("StartT message %q lacks the install hint", msg)
	}
}

// A start that fails after samba ran leaves nothing behind: the error
// carries samba's output, and the lock, the ports and the in-process slot
// are free again.
func TestFailedStartCleansUp(t *testing.T) {
	exclusive(t)
	_, err := Start(Options{ReadyTimeout: time.Nanosecond})
	if err == nil {
		t.Fatal("Start with a 1ns ready timeout succeeded")
	}
	if !strings.Contains(err.Error(), "did not accept an LDAPS bind as Administrator within 1ns") ||
		!strings.Contains(err.Error(), "--- samba output (") {
		t.Fatalf("error does not explain: %v", err)
	}
	slot.Lock()
	busy := slot.busy
	slot.Unlock()
	if busy {
		t.Fatal("the in-process slot is still taken")
	}
	holdMachineLock(t)
	if err := portsFree(); err != nil {
		t.Fatalf("after the failed start: %v", err)
	}
}

// The fixed ports are checked before samba starts, with a clear message.
func TestPortsFree(t *testing.T) {
	exclusive(t)
	holdMachineLock(t)
	if err := portsFree(); err != nil {
		t.Fatalf("no DC runs, yet: %v", err)
	}
	for _, port := range []int{LDAPPort, LDAPSPort, GlobalCatalogPort, GlobalCatalogSPort} {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			t.Fatal(err)
		}
		err = portsFree()
		l.Close()
		if err == nil || !strings.Contains(err.Error(), "127.0.0.1:"+strconv.Itoa(port)) {
			t.Fatalf("port %d held: %v", port, err)
		}
	}
}

// A test binary that dies without Stop must not leave samba behind, and
// the next Start on the machine removes its directory.
func TestDCDiesWithTestBinary(t *testing.T) {
	exclusive(t)
	pid, dir := testutil.AbandonedServer(t, "^TestHelperProcess$", "ADTEST_HELPER=abandon")
	err := testproc.Poll(15*time.Second, 10*time.Millisecond, nil, func() error {
		if testproc.Alive(pid) || !testproc.GroupGone(pid) {
			return fmt.Errorf("samba %d of the exited helper, or its group, is alive", pid)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	dc := StartT(t)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the dead helper's directory %s survived the next Start: %v", dir, err)
	}
	alice := sampleUser(t, KeyAlice)
	if err := bind(t, dc, ldaptest.LDAPS, alice.UPN, alice.Password); err != nil {
		t.Fatal(err)
	}
}

// Another process waits for the lock while this one runs a DC, and gives
// up after its LockTimeout naming the holder.
func TestLockSerialisesProcesses(t *testing.T) {
	Shared(t)
	got := testutil.RunHelper(t, "^TestHelperProcess$", "ADTEST_HELPER=lockwait")
	if !strings.Contains(got, "HELPER-ERROR") || !strings.Contains(got, "another AD DC still runs after 1s") ||
		!strings.Contains(got, fmt.Sprintf("pid %d ", os.Getpid())) {
		t.Fatalf("helper's Start did not wait for this process's lock:\n%s", got)
	}
}

// TestHelperProcess is the child of the tests above.
func TestHelperProcess(t *testing.T) {
	switch os.Getenv("ADTEST_HELPER") {
	case "abandon":
		dc, err := Start(Options{})
		if err != nil {
			testutil.AbandonServer(0, "", err)
		}
		testutil.AbandonServer(dc.PID(), dc.Dir(), nil) // no Stop: Pdeathsig and the closed stdin must end samba
	case "lockwait":
		dc, err := Start(Options{LockTimeout: time.Second})
		if err == nil {
			dc.Stop()
			fmt.Println("HELPER-STARTED")
			os.Exit(0)
		}
		fmt.Println("HELPER-ERROR", err)
		os.Exit(0)
	}
}

// Provisioning a DC of its own (no template) gives the same domain.
func TestNoTemplate(t *testing.T) {
	exclusive(t)
	dc := StartT(t, Options{NoTemplate: true})
	t.Logf("timings: %+v", dc.Timings())
	if dc.Timings().TemplateBuilt {
		t.Fatal("NoTemplate built a template")
	}
	alice, expired := sampleUser(t, KeyAlice), sampleUser(t, KeyExpired)
	if err := bind(t, dc, ldaptest.LDAPS, alice.UPN, alice.Password); err != nil {
		t.Fatal(err)
	}
	if err := bind(t, dc, ldaptest.LDAPS, expired.UPN, expired.Password); Diagnostic(err) != "532" {
		t.Fatalf("expired user: %v, want data 532", err)
	}
}

// With DisableOldPasswordPeriod the replaced password stops working at once.
func TestDisableOldPasswordPeriod(t *testing.T) {
	exclusive(t)
	dc := StartT(t, Options{DisableOldPasswordPeriod: true})
	u, _ := newUser(t, dc, NewUser{Password: "First-Pass-1"})
	if err := dc.SetPassword(u.SAMAccountName, "Second-Pass-2"); err != nil {
		t.Fatal(err)
	}
	name := Domain + `\` + u.SAMAccountName
	if err := bind(t, dc, ldaptest.LDAPS, name, "First-Pass-1"); Diagnostic(err) != "52e" {
		t.Fatalf("replaced password: %v, want data 52e", err)
	}
	if err := bind(t, dc, ldaptest.LDAPS, name, "Second-Pass-2"); err != nil {
		t.Fatalf("new password: %v", err)
	}
}
