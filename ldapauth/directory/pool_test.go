package directory

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
)

// When every connection stays in use for as long as a request may wait,
// the request fails as KindBusy: a saturated pool says nothing about the
// directory, so the server is not marked down and the next request is
// served at once.
func TestSaturatedPoolIsBusyNotDown(t *testing.T) {
	srv := sharedLDAP(t)
	o := directOptions(t, srv)
	o.PoolSize = 1
	d := newDirectory(t, o)

	entered, release := make(chan struct{}), make(chan struct{})
	blockFirstBind(d, entered, release)
	held := make(chan error, 1)
	go func() { _, err := authenticate(d, "alice", "alice-pass-1"); held <- err }()
	<-entered // the only connection is now in use

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := d.Authenticate(ctx, "bob", "bob-pass-1", nil)
	took := time.Since(start)
	if KindOf(err) != KindBusy {
		t.Fatalf("kind %v (%v), want busy", KindOf(err), err)
	}
	if took > time.Second {
		t.Fatalf("busy answer took %v; the caller's deadline was 200ms", took)
	}
	if down, probing := endpointState(d.endpoints[0]); down || probing {
		t.Fatalf("a busy pool marked the server down (%v) or probing (%v)", down, probing)
	}

	close(release)
	if err := <-held; err != nil {
		t.Fatalf("the request holding the connection: %v", err)
	}
	start = time.Now()
	mustAuthenticate(t, d, "bob", "bob-pass-1")
	if took := time.Since(start); took > time.Second {
		t.Fatalf("the request after the busy one took %v", took)
	}
	poolsIdle(t, d)
}

// blockFirstBind makes the first user bind close entered and wait for
// release while it holds its connection; later binds run normally.
func blockFirstBind(d *Directory, entered, release chan struct{}) {
	var first atomic.Bool
	setHook(d, func(op string) {
		if op == "bind" && first.CompareAndSwap(false, true) {
			close(entered)
			<-release
		}
	})
}

// Connections left idle longer than PoolIdleTimeout are closed by the pool
// itself, without any request (Active Directory would cut them at 15
// minutes and the next request would find them dead).
func TestIdleConnectionsAreReaped(t *testing.T) {
	srv := slapdtest.StartT(t)
	o := searchOptions(t, srv)
	o.PoolIdleTimeout = 300 * time.Millisecond
	d := newDirectory(t, o)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = authenticate(d, "alice", "alice-pass-1") }()
	}
	wg.Wait()
	if n := testutil.OpenConnections(t, srv.Addr()); n == 0 {
		t.Fatal("no pooled connection kept after use")
	}
	deadline := time.Now().Add(3 * time.Second)
	for testutil.OpenConnections(t, srv.Addr()) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d idle connections still open 3s after use with PoolIdleTimeout 300ms", testutil.OpenConnections(t, srv.Addr()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, ep := range d.endpoints {
		for _, p := range []*pool{ep.service, ep.user} {
			p.mu.Lock()
			idle, armed := len(p.idle), p.reaper != nil
			p.mu.Unlock()
			if idle != 0 || armed {
				t.Fatalf("after reaping: %d idle connections, reaper armed %v", idle, armed)
			}
		}
	}
	mustAuthenticate(t, d, "alice", "alice-pass-1")
}

// The pool never opens more than PoolSize connections per server and
// purpose, whatever the concurrency.
func TestPoolIsBounded(t *testing.T) {
	srv := slapdtest.StartT(t)
	o := searchOptions(t, srv)
	o.PoolSize = 2
	d := newDirectory(t, o)
	users := []slapdtest.SampleUser{sampleUser(t, "ALICE"), sampleUser(t, "BOB"), sampleUser(t, "CAROL"), sampleUser(t, "TEST")}
	var wg sync.WaitGroup
	const requests = 100 // at once, against 2 connections per purpose
	errs := make(chan error, requests)
	start := make(chan struct{})
	for i := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := users[i%len(users)]
			<-start
			if _, err := authenticate(d, u.UID, u.Password); err != nil {
				errs <- fmt.Errorf("request %d: %v", i, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if c := counters(t, srv).Connections; c > 4 || c == 0 {
		t.Fatalf("%d connections opened; PoolSize 2 allows 2 service + 2 user connections", c)
	}
	poolsIdle(t, d)
}

// Close shuts idle connections at once and a busy one when it comes back.
func TestCloseReleasesConnections(t *testing.T) {
	srv := slapdtest.StartT(t)
	o := directOptions(t, srv)
	d, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	blockFirstBind(d, entered, release)
	held := make(chan error, 1)
	go func() { _, err := authenticate(d, "alice", "alice-pass-1"); held <- err }()
	<-entered
	mustAuthenticate(t, d, "bob", "bob-pass-1") // leaves an idle connection
	if n := testutil.OpenConnections(t, srv.Addr()); n != 2 {
		t.Fatalf("%d connections before Close, want 2 (one busy, one idle)", n)
	}
	d.Close()
	waitConnections(t, srv.Addr(), 1)
	close(release)
	if err := <-held; err != nil {
		t.Fatalf("the request in flight during Close: %v", err)
	}
	waitConnections(t, srv.Addr(), 0)
}

// waitConnections polls /proc/net/tcp until want connections to addr remain.
func waitConnections(t testing.TB, addr string, want int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		n := testutil.OpenConnections(t, addr)
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections to %s, want %d", n, addr, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
