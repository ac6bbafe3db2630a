package directory

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// outageBound is DialTimeout + RequestTimeout of fastTimeouts: no
// Authenticate may take longer. slack covers scheduling on a loaded
// two-core machine.
const (
	outageBound = 1500 * time.Millisecond
	slack       = 300 * time.Millisecond
)

func expectUnavailableWithin(t *testing.T, d *Directory, bound time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	_, err := authenticate(d, "alice", "alice-pass-1")
	took := time.Since(start)
	if KindOf(err) != KindUnavailable {
		t.Fatalf("kind = %v (%v), want directory unavailable", KindOf(err), err)
	}
	if took > bound+slack {
		t.Fatalf("answer took %v, bound is %v", took, bound)
	}
	return took
}

func TestKilledDirectory(t *testing.T) {
	srv := slapdtest.StartT(t)
	for _, st := range strategies {
		t.Run(st.name, func(t *testing.T) {
			d := newDirectory(t, fastTimeouts(st.options(t, srv)))
			mustAuthenticate(t, d, "alice", "alice-pass-1") // warms the pools
			if err := srv.Kill(); err != nil {
				t.Fatal(err)
			}
			// A killed server refuses connections: well within the bound.
			took := expectUnavailableWithin(t, d, time.Second)
			t.Logf("killed directory answered unavailable in %v", took)
			if err := srv.Restart(); err != nil {
				t.Fatal(err)
			}
			// The first request after the directory is back succeeds: dead
			// pooled connections are dropped, not handed out.
			mustAuthenticate(t, d, "alice", "alice-pass-1")
			poolsIdle(t, d)
		})
	}
}

// A restart between two requests (pooled connections silently dead) costs
// no failed request: the broken connection is retried on a fresh one.
func TestRestartBetweenRequestsIsInvisible(t *testing.T) {
	srv := slapdtest.StartT(t)
	for _, st := range strategies {
		t.Run(st.name, func(t *testing.T) {
			d := newDirectory(t, fastTimeouts(st.options(t, srv)))
			mustAuthenticate(t, d, "alice", "alice-pass-1")
			if err := srv.Restart(); err != nil {
				t.Fatal(err)
			}
			mustAuthenticate(t, d, "bob", "bob-pass-1")
			if down, _ := endpointState(d.endpoints[0]); down {
				t.Fatal("a restart between requests marked the server down")
			}
		})
	}
}

func TestFrozenDirectory(t *testing.T) {
	srv := slapdtest.StartT(t)
	o := fastTimeouts(searchOptions(t, srv))
	// Enough connections for every request, so this measures the frozen
	// server alone (a saturated pool is TestSaturatedPoolIsBusyNotDown).
	o.PoolSize = 32
	d := newDirectory(t, o)
	mustAuthenticate(t, d, "alice", "alice-pass-1")
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
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			begin := time.Now()
			_, err := authenticate(d, fmt.Sprintf("user%d", i), "pw")
			if took := time.Since(begin); KindOf(err) != KindUnavailable || took > outageBound+slack {
				errs <- fmt.Errorf("user%d: %v after %v", i, err, took)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("20 concurrent requests to a frozen server answered in %v", time.Since(start))
	if err := srv.Thaw(); err != nil {
		t.Fatal(err)
	}
	thawed = true
	mustAuthenticate(t, d, "alice", "alice-pass-1")
	poolsIdle(t, d)
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
	o := fastTimeouts(directOptions(t, sharedLDAP(t)))
	o.Servers = []Server{mustServer(t, slapdtest.ClosedPortURL(t))}
	d := newDirectory(t, o)
	for range 3 {
		expectUnavailableWithin(t, d, 200*time.Millisecond)
	}
	if down, probing := endpointState(d.endpoints[0]); !down || probing {
		t.Fatalf("refusing server: down %v, probing %v; want down, no probe left claimed", down, probing)
	}
}

// A slow server (paused shorter than RequestTimeout) still answers, and
// the answer waits for it.
func TestSlowDirectoryWithinTimeout(t *testing.T) {
	srv := slapdtest.StartT(t)
	o := directOptions(t, srv)
	o.RequestTimeout = 3 * time.Second
	d := newDirectory(t, o)
	mustAuthenticate(t, d, "alice", "alice-pass-1")
	if err := srv.Freeze(); err != nil {
		t.Fatal(err)
	}
	const pause = 400 * time.Millisecond
	thaw := time.AfterFunc(pause, func() { _ = srv.Thaw() })
	defer thaw.Stop()
	start := time.Now()
	mustAuthenticate(t, d, "alice", "alice-pass-1")
	if took := time.Since(start); took < pause-50*time.Millisecond {
		t.Fatalf("answered in %v: the server was not actually paused", took)
	}
}

// A server frozen for longer than the bound fails requests within the
// bound, also for a request that waited for a bind already sent.
func TestFrozenDuringBind(t *testing.T) {
	srv := slapdtest.StartT(t)
	d := newDirectory(t, fastTimeouts(directOptions(t, srv)))
	mustAuthenticate(t, d, "alice", "alice-pass-1")
	var frozen atomic.Bool
	setHook(d, func(op string) {
		if op == "bind" && frozen.CompareAndSwap(false, true) {
			if err := srv.Freeze(); err != nil {
				t.Error(err)
			}
		}
	})
	defer func() { _ = srv.Thaw() }()
	r := &recorder{}
	start := time.Now()
	_, err := d.Authenticate(context.Background(), "alice", "alice-pass-1", r.guard)
	if took := time.Since(start); KindOf(err) != KindUnavailable || took > outageBound+slack {
		t.Fatalf("%v after %v; want unavailable within %v", err, took, outageBound)
	}
	if _, _, outcomes := r.snapshot(); len(outcomes) == 0 || outcomes[0] != BindUnanswered {
		t.Fatalf("outcomes %v, want the unanswered bind first (counted: the directory may have judged it)", outcomes)
	}
}

// Failover: the first server dies, the second serves every request, the
// first is skipped while it backs off, and once it is back and its backoff
// has passed traffic returns to it, the first request there succeeding.
func TestFailoverAndReturn(t *testing.T) {
	a := slapdtest.StartT(t)
	b := slapdtest.StartT(t)
	o := fastTimeouts(directOptions(t, a))
	o.Servers = []Server{mustServer(t, a.URL()), mustServer(t, b.URL())}
	var logs lockedBuffer
	o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	d := newDirectory(t, o)
	clock := newFakeClock()
	for _, ep := range d.endpoints {
		ep.now = clock.now
	}
	auth := func() error { _, err := authenticate(d, "alice", "alice-pass-1"); return err }
	for range 5 {
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
	for i := range 20 {
		if err := auth(); err != nil {
			t.Fatalf("request %d after the first server died: %v", i, err)
		}
	}
	if n := counters(t, b).Binds; n != 20 {
		t.Fatalf("second server got %d binds, want all 20", n)
	}
	if err := a.Restart(); err != nil {
		t.Fatal(err)
	}
	// Still backing off: the first server is not tried.
	beforeA := counters(t, a)
	if err := auth(); err != nil {
		t.Fatal(err)
	}
	if diff := counters(t, a).Sub(beforeA); diff.Connections != 0 {
		t.Fatalf("the first server was tried during its backoff: %+v", diff)
	}
	clock.advance(maxBackoff)
	beforeA, beforeB := counters(t, a), counters(t, b)
	for i := range 3 {
		if err := auth(); err != nil {
			t.Fatalf("request %d after the backoff: %v", i, err)
		}
	}
	if da, db := counters(t, a).Sub(beforeA), counters(t, b).Sub(beforeB); da.Binds != 3 || db.Binds != 0 {
		t.Fatalf("after recovery: first server %d binds, second %d; want 3 and 0", da.Binds, db.Binds)
	}
	if down, probing := endpointState(d.endpoints[0]); down || probing {
		t.Fatalf("first server: down %v, probing %v after recovery", down, probing)
	}
	if n := strings.Count(logs.String(), "directory server is answering again"); n != 1 {
		t.Fatalf("recovery logged %d times, want once:\n%s", n, logs.String())
	}
}

// A frozen first server costs at most the request that found it frozen
// (which spends the whole bound waiting on it); later ones go to the second
// server at once. The second server, tried with whatever the first left of
// the request's time, is not marked down for running out of it.
func TestFailoverFromFrozenServer(t *testing.T) {
	a := slapdtest.StartT(t)
	b := slapdtest.StartT(t)
	o := fastTimeouts(searchOptions(t, a))
	o.Servers = []Server{mustServer(t, a.URL()), mustServer(t, b.URL())}
	d := newDirectory(t, o)
	mustAuthenticate(t, d, "alice", "alice-pass-1")
	if err := a.Freeze(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = a.Thaw() }()
	start := time.Now()
	_, err := authenticate(d, "alice", "alice-pass-1")
	took := time.Since(start)
	t.Logf("first request after the freeze: %v after %v", err, took)
	if took > outageBound+slack || (err != nil && KindOf(err) != KindUnavailable) {
		t.Fatalf("first request: %v after %v", err, took)
	}
	// The frozen server spent the request's time; the second one, tried
	// with what was left (if anything), must not be blamed for it.
	if down, _ := endpointState(d.endpoints[0]); !down {
		t.Fatal("the frozen server is not marked down")
	}
	if down, _ := endpointState(d.endpoints[1]); down {
		t.Fatal("the healthy second server was marked down for the time the frozen one used up")
	}
	for i := range 5 {
		start := time.Now()
		mustAuthenticate(t, d, "alice", "alice-pass-1")
		if took := time.Since(start); took > 500*time.Millisecond {
			t.Fatalf("request %d took %v: the frozen server was waited for again", i, took)
		}
	}
	if n := counters(t, b).Searches; n < 5 {
		t.Fatalf("second server served %d searches, want at least 5", n)
	}
}

// lockedBuffer collects log output from any goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A dead first server is logged once when traffic fails over, then skipped
// quietly during its backoff. No log line carries a password.
func TestFailoverLogging(t *testing.T) {
	srv := sharedLDAP(t)
	var logs lockedBuffer
	o := fastTimeouts(searchOptions(t, srv))
	dead := slapdtest.ClosedPortURL(t)
	o.Servers = []Server{mustServer(t, dead), mustServer(t, srv.URL())}
	o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d := newDirectory(t, o)
	clock := newFakeClock()
	for _, ep := range d.endpoints {
		ep.now = clock.now
	}
	for range 3 {
		mustAuthenticate(t, d, "alice", "alice-pass-1")
	}
	if _, err := authenticate(d, "alice", "wrong-password"); KindOf(err) != KindInvalidCredentials {
		t.Fatal(err)
	}
	text := logs.String()
	if n := strings.Count(text, "failing over"); n != 1 || !strings.Contains(text, dead) {
		t.Fatalf("failover logged %d times (want once, naming %s):\n%s", n, dead, text)
	}
	// Once the backoff is over the dead server is probed, and logged, again.
	clock.advance(maxBackoff)
	mustAuthenticate(t, d, "alice", "alice-pass-1")
	if n := strings.Count(logs.String(), "failing over"); n != 2 {
		t.Fatalf("after the backoff, failover logged %d times, want 2:\n%s", n, logs.String())
	}
	for _, secret := range []string{"alice-pass-1", "wrong-password", slapdtest.ServiceAccountPassword} {
		if strings.Contains(logs.String(), secret) {
			t.Fatalf("a password reached the log:\n%s", logs.String())
		}
	}
}
