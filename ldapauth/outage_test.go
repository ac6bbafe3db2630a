package ldapauth

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// fastTimeouts keeps outage tests short; the bounds they prove scale with
// the configured values.
var fastTimeouts = map[string]interface{}{"dial_timeout": "500ms", "request_timeout": "1s"}

const outageBound = 1500 * time.Millisecond // dial_timeout + request_timeout above

func expectUnavailableWithin(t *testing.T, d *Directory, bound time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	_, err := authenticate(d, "alice", "alice-pass-1")
	took := time.Since(start)
	if KindOf(err) != KindUnavailable {
		t.Fatalf("kind = %v (%v), want directory unavailable", KindOf(err), err)
	}
	if took > bound+250*time.Millisecond {
		t.Fatalf("answer took %v, bound is %v", took, bound)
	}
	return took
}

func TestKilledDirectory(t *testing.T) {
	srv := slapdtest.StartT(t)
	for name, raw := range map[string]map[string]interface{}{
		"direct": directConfig(srv, fastTimeouts),
		"search": searchConfig(srv, fastTimeouts),
	} {
		t.Run(name, func(t *testing.T) {
			d := newTestDirectory(t, raw)
			if _, err := authenticate(d, "alice", "alice-pass-1"); err != nil {
				t.Fatal(err) // warms the pool
			}
			if err := srv.Kill(); err != nil {
				t.Fatal(err)
			}
			// Within request_timeout (1s), as the issue asks for a killed server.
			took := expectUnavailableWithin(t, d, time.Second)
			t.Logf("killed directory answered unavailable in %v", took)
			if err := srv.Restart(); err != nil {
				t.Fatal(err)
			}
			// The first request after the directory is back succeeds: dead
			// pooled connections are dropped, not handed out.
			if _, err := authenticate(d, "alice", "alice-pass-1"); err != nil {
				t.Fatalf("first request after restart: %v", err)
			}
		})
	}
}

// A restart between two requests (pooled connections silently dead) costs
// no failed request: the broken connection is retried on a fresh one.
func TestRestartBetweenRequestsIsInvisible(t *testing.T) {
	srv := slapdtest.StartT(t)
	d := newTestDirectory(t, searchConfig(srv, fastTimeouts))
	if _, err := authenticate(d, "alice", "alice-pass-1"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if _, err := authenticate(d, "bob", "bob-pass-1"); err != nil {
		t.Fatalf("request after a restart failed: %v", err)
	}
}

func TestFrozenDirectory(t *testing.T) {
	srv := slapdtest.StartT(t)
	d := newTestDirectory(t, searchConfig(srv, fastTimeouts))
	if _, err := authenticate(d, "alice", "alice-pass-1"); err != nil {
		t.Fatal(err)
	}
	baseline := runtime.NumGoroutine()
	if err := srv.Freeze(); err != nil {
		t.Fatal(err)
	}
	thawed := false
	defer func() {
		if !thawed {
			_ = srv.Thaw()
		}
	}()
	// Many users at once while the server is frozen: every one gets an
	// answer within the bound, nothing piles up.
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	start := time.Now()
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := authenticate(d, fmt.Sprintf("user%d", i), "pw")
			if KindOf(err) != KindUnavailable {
				errs <- fmt.Errorf("user%d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if took := time.Since(start); took > outageBound+500*time.Millisecond {
		t.Fatalf("20 concurrent requests to a frozen server took %v, bound %v", took, outageBound)
	}
	if err := srv.Thaw(); err != nil {
		t.Fatal(err)
	}
	thawed = true
	if _, err := authenticate(d, "alice", "alice-pass-1"); err != nil {
		t.Fatalf("first request after thaw: %v", err)
	}
	waitGoroutines(t, baseline+4)
}

// waitGoroutines fails unless the goroutine count drops to at most max
// (go-ldap's per-connection goroutines end when connections close).
func waitGoroutines(t *testing.T, max int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > max {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, want at most %d:\n%s", runtime.NumGoroutine(), max, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRefusingDirectoryAnswersFast(t *testing.T) {
	d := newTestDirectory(t, map[string]interface{}{"urls": deadURL(t), "user_dn_template": peopleTemplate})
	expectUnavailableWithin(t, d, 200*time.Millisecond)
	// Backing off: the next request does not even dial.
	expectUnavailableWithin(t, d, 50*time.Millisecond)
}

// A slow server (paused shorter than request_timeout) still answers.
func TestSlowDirectoryWithinTimeout(t *testing.T) {
	srv := slapdtest.StartT(t)
	d := newTestDirectory(t, directConfig(srv, map[string]interface{}{"request_timeout": "3s"}))
	if _, err := authenticate(d, "alice", "alice-pass-1"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Freeze(); err != nil {
		t.Fatal(err)
	}
	go func() { time.Sleep(400 * time.Millisecond); _ = srv.Thaw() }()
	start := time.Now()
	if _, err := authenticate(d, "alice", "alice-pass-1"); err != nil {
		t.Fatalf("slow answer: %v", err)
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Fatalf("answered in %v: the server was not actually paused", took)
	}
}

// Failover mid-traffic: the first server dies, the second serves, and once
// the first is back (and its backoff has passed) traffic returns to it.
func TestFailoverAndReturn(t *testing.T) {
	a := slapdtest.StartT(t)
	b := slapdtest.StartT(t)
	d := newTestDirectory(t, directConfig(a, merge(map[string]interface{}{"urls": []interface{}{a.URL(), b.URL()}}, fastTimeouts)))
	auth := func() error { _, err := authenticate(d, "alice", "alice-pass-1"); return err }
	for i := 0; i < 5; i++ {
		if err := auth(); err != nil {
			t.Fatal(err)
		}
	}
	if n := counters(t, b).Binds; n != 0 {
		t.Fatalf("second server got %d binds while the first was healthy", n)
	}
	if err := a.Kill(); err != nil {
		t.Fatal(err)
	}
	failures := 0
	for i := 0; i < 20; i++ {
		if auth() != nil {
			failures++
		}
	}
	if failures > 0 {
		t.Fatalf("%d of 20 requests failed after the first server died; the second should have taken over", failures)
	}
	if err := a.Restart(); err != nil {
		t.Fatal(err)
	}
	before := counters(t, a).Binds
	deadline := time.Now().Add(maxBackoff + 5*time.Second)
	for counters(t, a).Binds == before {
		if time.Now().After(deadline) {
			t.Fatal("traffic never returned to the first server")
		}
		if err := auth(); err != nil {
			t.Fatalf("request while returning: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
