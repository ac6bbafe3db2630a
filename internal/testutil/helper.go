package testutil

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testproc"
)

// RunHelper runs this test binary again as a helper process, with only the
// tests matching run (a -test.run pattern) and env added to its
// environment, and returns its standard output once it has exited
// successfully. A -race binary's sleep at exit is turned off.
func RunHelper(t testing.TB, run string, env ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run="+run)
	cmd.Env = append(append(os.Environ(), "GORACE=atexit_sleep_ms=0"), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper process (-test.run=%s): %v\n%s%s", run, err, out, stderr.String())
	}
	return string(out)
}

// AbandonServer is the helper process's side of AbandonedServer: it prints
// "HELPER PID DIR" for the server it started (or "HELPER-ERROR ERR" when err
// is not nil) and exits at once without stopping the server, which must
// die with this process.
func AbandonServer(pid int, dir string, err error) {
	if err != nil {
		fmt.Println("HELPER-ERROR", err)
		os.Exit(2)
	}
	fmt.Printf("HELPER %d %s\n", pid, dir)
	os.Exit(0)
}

// AbandonedServer runs a helper process (see RunHelper) that starts a
// server and exits without stopping it (see AbandonServer), and returns
// the pid and directory it reported.
func AbandonedServer(t testing.TB, run string, env ...string) (pid int, dir string) {
	t.Helper()
	out := RunHelper(t, run, env...)
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "HELPER" {
			pid, _ = strconv.Atoi(f[1])
			dir = f[2]
		}
	}
	if pid == 0 {
		t.Fatalf("the helper process reported no server:\n%s", out)
	}
	return pid, dir
}

// WaitGone fails the test unless pid has exited within timeout; it then
// kills pid, so a failed test leaves nothing behind.
func WaitGone(t testing.TB, pid int, timeout time.Duration) {
	t.Helper()
	if err := testproc.WaitGone(pid, timeout); err != nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("the process should have exited: %v", err)
	}
}
