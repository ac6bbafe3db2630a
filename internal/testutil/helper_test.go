package testutil

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testproc"
)

// TestHelperAbandon is the helper process of TestAbandonedServer: it
// starts a "server" (sleep) and abandons it, or reports an error.
func TestHelperAbandon(t *testing.T) {
	switch os.Getenv("TESTUTIL_HELPER") {
	case "abandon":
		p, err := testproc.Start(exec.Command("sleep", "600"))
		if err != nil {
			AbandonServer(0, "", err)
		}
		AbandonServer(p.PID(), "/some/dir", nil)
	case "fail":
		AbandonServer(0, "", errors.New("cannot start"))
	}
}

func TestAbandonedServer(t *testing.T) {
	pid, dir := AbandonedServer(t, "^TestHelperAbandon$", "TESTUTIL_HELPER=abandon")
	if dir != "/some/dir" || pid <= 0 {
		t.Fatalf("AbandonedServer = %d, %q", pid, dir)
	}
	WaitGone(t, pid, 5*time.Second)

	msg, failed := CatchFatal(t, func(tb testing.TB) { AbandonedServer(tb, "^TestHelperAbandon$", "TESTUTIL_HELPER=fail") })
	if !failed || !strings.Contains(msg, "HELPER-ERROR cannot start") {
		t.Fatalf("a helper that could not start its server: %q, %v", msg, failed)
	}
	msg, failed = CatchFatal(t, func(tb testing.TB) { AbandonedServer(tb, "^TestHelperAbandon$") })
	if !failed || !strings.Contains(msg, "reported no server") {
		t.Fatalf("a helper that reported nothing: %q, %v", msg, failed)
	}
}

func TestWaitGone(t *testing.T) {
	p, err := testproc.Start(exec.Command("sleep", "600"))
	if err != nil {
		t.Fatal(err)
	}
	msg, failed := CatchFatal(t, func(tb testing.TB) { WaitGone(tb, p.PID(), 20*time.Millisecond) })
	if !failed || !strings.Contains(msg, "should have exited") {
		t.Fatalf("WaitGone of a live process: %q, %v", msg, failed)
	}
	// WaitGone killed it on the way out.
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		p.Kill()
		t.Fatal("WaitGone did not kill the process it gave up on")
	}
}
