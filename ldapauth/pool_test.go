package ldapauth

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// Connections left idle longer than pool_idle_timeout are closed by the
// pool itself, without any request (Active Directory would cut them at 15
// minutes and the next request would find them dead).
func TestIdleConnectionsAreReaped(t *testing.T) {
	srv := slapdtest.StartT(t)
	d := newTestDirectory(t, directConfig(srv, map[string]interface{}{"pool_idle_timeout": "1s"}))
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); authenticate(d, "alice", "alice-pass-1") }()
	}
	wg.Wait()
	if n := openConnections(t, srv.Addr()); n == 0 {
		t.Fatal("no pooled connection kept after use")
	}
	deadline := time.Now().Add(3 * time.Second)
	for openConnections(t, srv.Addr()) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d idle connections still open 3s after use with pool_idle_timeout 1s", openConnections(t, srv.Addr()))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := authenticate(d, "alice", "alice-pass-1"); err != nil {
		t.Fatalf("request after the reaper ran: %v", err)
	}
}

// The pool never opens more than pool_size connections per server and
// purpose, whatever the concurrency.
func TestPoolIsBounded(t *testing.T) {
	srv := slapdtest.StartT(t)
	d := newTestDirectory(t, searchConfig(srv, map[string]interface{}{"pool_size": 2.0}))
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			users := []string{"alice", "bob", "carol", "test"}
			pws := []string{"alice-pass-1", "bob-pass-1", "carol-pass-1", "test123"}
			if _, err := authenticate(d, users[i%4], pws[i%4]); err != nil {
				errs <- fmt.Errorf("request %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if c := counters(t, srv).Connections; c > 4 {
		t.Fatalf("%d connections opened; pool_size 2 allows 2 service + 2 user connections", c)
	}
}
