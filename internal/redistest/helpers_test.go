package redistest

import (
	"fmt"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	st, err := processState(pid)
	return err == nil && st != 'Z'
}

// refused reports whether a TCP connect to addr fails within a second.
func refused(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return true
	}
	c.Close()
	return false
}

// waitGone polls until pid has exited, failing the test after 5 s.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	err := poll(5*time.Second, 10*time.Millisecond, nil, func() error {
		if alive(pid) {
			return fmt.Errorf("pid %d alive", pid)
		}
		return nil
	})
	if err != nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("redis-server should have exited: %v", err)
	}
}

// fatalRecorder captures StartT's Fatalf instead of failing this test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}
func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
