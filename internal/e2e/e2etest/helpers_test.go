package e2etest

import (
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
)

func TestWith(t *testing.T) {
	base := map[string]any{"urls": "ldaps://a", "realm": "R"}
	cases := []struct {
		name  string
		pairs []any
		want  map[string]any
	}{
		{"nothing", nil, map[string]any{"urls": "ldaps://a", "realm": "R"}},
		{"set", []any{"pool_size", 2}, map[string]any{"urls": "ldaps://a", "realm": "R", "pool_size": 2}},
		{"replace", []any{"realm", "S"}, map[string]any{"urls": "ldaps://a", "realm": "S"}},
		{"delete", []any{"realm", nil}, map[string]any{"urls": "ldaps://a"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := With(base, tc.pairs...); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("With = %v, want %v", got, tc.want)
			}
			if len(base) != 2 || base["realm"] != "R" {
				t.Fatalf("With changed its input: %v", base)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	cases := []struct {
		values []string
		ok     bool
		want   time.Duration
	}{
		{[]string{"2"}, true, 2 * time.Second},
		{[]string{"1"}, true, time.Second},
		{[]string{"3"}, false, 0}, // above the maximum
		{[]string{"0"}, false, 0},
		{[]string{"x"}, false, 0},
		{[]string{"1", "1"}, false, 0},
		{nil, false, 0},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.values, ","), func(t *testing.T) {
			r := Reply{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": tc.values}}
			var got time.Duration
			_, failed := testutil.CatchFatal(t, func(tb testing.TB) { got = RetryAfter(tb, r, 2*time.Second) })
			if failed == tc.ok || (tc.ok && got != tc.want) {
				t.Errorf("RetryAfter(%q): %v, failed %v; want %v, failed %v", tc.values, got, failed, tc.want, !tc.ok)
			}
		})
	}
}

func TestLogProblems(t *testing.T) {
	const secret = "Pass-Word-123"
	before := LogProblems([]string{secret})
	if len(before) != 0 {
		t.Fatalf("problems in an empty log: %v", before)
	}
	_, _ = GatewayLog.Write([]byte("level=info msg=decision user=alice\n"))
	if p := LogProblems([]string{secret}); len(p) != 0 {
		t.Fatalf("problems in a clean log: %v", p)
	}
	_, _ = GatewayLog.Write([]byte("level=debug msg=oops error=\"" + secret + "\"\nlevel=error msg=\"recovered from a Panic\"\n"))
	p := LogProblems([]string{secret, "not-logged"})
	if len(p) != 2 || !strings.Contains(p[0], secret) || strings.Contains(p[0], "not-logged") || !strings.Contains(p[1], "panic") {
		t.Fatalf("LogProblems = %q, want the leaked password and the panic line", p)
	}
}

func TestExpectStatus(t *testing.T) {
	calls := map[string]int{}
	ExpectStatus(t, []string{"a", "b"}, []int{http.StatusUnauthorized, http.StatusForbidden}, 5*time.Second, func(api string) int {
		calls[api]++
		if api == "a" && calls[api] < 3 {
			return http.StatusOK
		}
		return http.StatusForbidden
	})
	if calls["a"] != 3 || calls["b"] != 1 {
		t.Fatalf("asked a %d and b %d times, want 3 and 1: polling must go on until each answers", calls["a"], calls["b"])
	}
}

func TestLogSinkWaitFor(t *testing.T) {
	s := &LogSink{}
	_, _ = s.Write([]byte("level=info msg=\"directory watch started\" api=old\n"))
	mark := s.Mark()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = s.Write([]byte("level=info msg=\"directory watch started\" api=new\n"))
	}()
	s.WaitFor(t, mark, 5*time.Second, "directory watch started", "api=new")
	<-done
	if got := LogLines(s.Since(mark), "api=old"); len(got) != 0 {
		t.Fatalf("Since(mark) holds a line from before mark: %q", got)
	}
}

func TestWorkers(t *testing.T) {
	var mu sync.Mutex
	calls := map[int]int{}
	started := make(chan struct{}, 3)
	w := StartWorkers(3, func(worker, i int) bool {
		mu.Lock()
		defer mu.Unlock()
		if calls[worker] != i {
			t.Errorf("worker %d: call %d after %d calls", worker, i, calls[worker])
		}
		calls[worker]++
		if i == 0 {
			started <- struct{}{}
		}
		return true
	})
	for range 3 {
		<-started
	}
	w.Stop()
	w.Stop() // a second Stop returns at once
	mu.Lock()
	after := len(calls)
	mu.Unlock()
	if after != 3 {
		t.Fatalf("%d workers ran, want 3", after)
	}
	select {
	case <-w.Done():
	default:
		t.Fatal("Done not closed after Stop")
	}

	quit := StartWorkers(2, func(worker, i int) bool { return i < 4 })
	select {
	case <-quit.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("workers whose function returned false never ended")
	}
}
