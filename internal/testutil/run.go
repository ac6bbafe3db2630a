package testutil

import (
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testproc"
)

// Run is a command's run function running on a goroutine of its own, with
// its output in buffers the test reads while it runs.
type Run struct {
	Stdout, Stderr SyncBuffer
	done           chan struct{}
	code           int // run's result; read only after done is closed
}

// StartRun calls run(stdout, stderr) on a new goroutine.
func StartRun(run func(stdout, stderr io.Writer) int) *Run {
	r := &Run{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.code = run(&r.Stdout, &r.Stderr)
	}()
	return r
}

// WaitForFile waits until path exists (a file the command writes once it
// serves), failing the test when run returns first or timeout passes.
func (r *Run) WaitForFile(t testing.TB, path string, timeout time.Duration) {
	t.Helper()
	err := testproc.Poll(timeout, 20*time.Millisecond, r.done, func() error {
		_, err := os.Stat(path)
		return err
	})
	switch {
	case errors.Is(err, testproc.ErrExited):
		t.Fatalf("run returned %d before writing %s; stderr: %s", r.code, path, r.Stderr.String())
	case err != nil:
		t.Fatalf("%v; stderr: %s", err, r.Stderr.String())
	}
}

// Exit waits up to timeout for run to return and returns its exit code.
func (r *Run) Exit(t testing.TB, timeout time.Duration) int {
	t.Helper()
	select {
	case <-r.done:
		return r.code
	case <-time.After(timeout):
		t.Fatalf("run did not return within %s; stderr: %s", timeout, r.Stderr.String())
		return 0
	}
}
