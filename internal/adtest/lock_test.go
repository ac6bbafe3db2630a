package adtest

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// The lock is exclusive between open file descriptions even in one
// process, so these tests need no helper process.
func TestMachineLock(t *testing.T) {
	dir := t.TempDir()
	nop := func(string, ...any) {}
	first, err := acquireMachineLock(dir, 0, nop)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var logged []string
	logf := func(format string, args ...any) {
		mu.Lock()
		logged = append(logged, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	start := time.Now()
	_, err = acquireMachineLock(dir, 300*time.Millisecond, logf)
	if err == nil {
		t.Fatal("a second holder got the lock")
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("gave up after %v, before the timeout", d)
	}
	holder := fmt.Sprintf("pid %d (", os.Getpid())
	if !strings.Contains(err.Error(), holder) || !strings.Contains(err.Error(), "another AD DC still runs after 300ms") {
		t.Fatalf("error %q does not name the holder", err)
	}
	mu.Lock()
	if len(logged) != 1 || !strings.Contains(logged[0], "waiting up to 300ms") || !strings.Contains(logged[0], holder) {
		t.Fatalf("logged %q, want one waiting message naming the holder", logged)
	}
	mu.Unlock()

	// A waiter gets the lock once the holder releases it.
	got := make(chan error, 1)
	go func() {
		l, err := acquireMachineLock(dir, time.Minute, nop)
		if err == nil {
			err = l.release()
		}
		got <- err
	}()
	if err := first.release(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("waiter: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the waiter never got the released lock")
	}
	if err := first.release(); err != nil {
		t.Fatalf("second release: %v", err)
	}
}
