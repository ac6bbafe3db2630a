package testutil

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// CatchFatal runs fn on a goroutine of its own with a testing.TB that
// records failures instead of failing t: Fatal, Fatalf and FailNow record
// and end fn's goroutine, as they end a test's; Error, Errorf and Fail
// record and let fn go on. It returns the first message recorded and
// whether anything failed, so a test can prove that a helper fails, and
// how.
func CatchFatal(t testing.TB, fn func(testing.TB)) (msg string, failed bool) {
	t.Helper()
	rec := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(rec)
	}()
	<-done
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.msg, rec.failed
}

// recorder is the testing.TB of CatchFatal; what it does not override goes
// to the real test.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	msg    string
	failed bool
}

func (r *recorder) record(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.failed {
		r.msg = msg
	}
	r.failed = true
}

func (r *recorder) Helper() {}

func (r *recorder) Fail()                             { r.record("") }
func (r *recorder) Error(args ...any)                 { r.record(fmt.Sprint(args...)) }
func (r *recorder) Errorf(format string, args ...any) { r.record(fmt.Sprintf(format, args...)) }
func (r *recorder) FailNow()                          { r.record(""); runtime.Goexit() }
func (r *recorder) Fatal(args ...any)                 { r.record(fmt.Sprint(args...)); runtime.Goexit() }
func (r *recorder) Fatalf(format string, args ...any) {
	r.record(fmt.Sprintf(format, args...))
	runtime.Goexit()
}

func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}
