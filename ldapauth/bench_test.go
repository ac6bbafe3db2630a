package ldapauth

import (
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/state"
)

// BenchmarkHerd measures the latency of a burst of 1000 concurrent
// identical cold requests (one bind answers all of them) against a single
// cold request, in the same run. Each iteration uses a fresh gate, so every
// burst is cold.
func BenchmarkHerd(b *testing.B) {
	srv := sharedLDAP(b)
	raw := directConfig(srv, nil)
	cfg := mustConfig(b, raw)
	b.Run("SingleColdRequest", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			g, _ := NewGate(APIInfo{ID: "herd"}, cfg, GateOptions{})
			if res := check(g, "test", "test123"); res.Outcome != OutcomeGranted {
				b.Fatalf("outcome %v", res.Outcome)
			}
			b.StopTimer()
			g.Close()
			b.StartTimer()
		}
	})
	b.Run("Herd1000", func(b *testing.B) {
		reqs := make([]*http.Request, 1000)
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			g, _ := NewGate(APIInfo{ID: "herd"}, cfg, GateOptions{})
			for j := range reqs {
				reqs[j] = request("test", "test123")
			}
			var wg sync.WaitGroup
			start := make(chan struct{})
			failed := make(chan Outcome, len(reqs))
			for _, r := range reqs {
				wg.Add(1)
				go func(r *http.Request) {
					defer wg.Done()
					<-start
					if o := g.Check(r).Outcome; o != OutcomeGranted {
						failed <- o
					}
				}(r)
			}
			b.StartTimer()
			close(start)
			wg.Wait()
			b.StopTimer()
			close(failed)
			for o := range failed {
				b.Fatalf("a request of the herd got %v", o)
			}
			g.Close()
			b.StartTimer()
		}
	})
}

// TestNegativeCacheFloodMemory sends 1,000,000 distinct wrong credentials
// through a Gate's decision cache with the negative cache on: the entry
// count never passes cache_max_entries, and the heap grows by at most the
// bound docs/performance.md states for 10,000 entries. A real directory
// cannot answer a million binds within CI time, so the flood feeds the
// cache directly; the flood through the directory (TestGateFloodStaysBounded)
// is smaller.
func TestNegativeCacheFloodMemory(t *testing.T) {
	const flood, bound = 1_000_000, 8 << 20
	g, _ := newTestGate(t, minimal(map[string]any{"negative_cache_ttl": "10m"}))
	c := g.cache
	h := c.Hasher()
	defer c.Release(h)
	var good state.MAC
	h.Sum([]byte("alice"), []byte("right"), &good)
	c.StoreGrant(good, "id-alice", &Grant{Identity: &Identity{Username: "alice"}}, time.Now())
	before := heapInUse()
	user := []byte("mallory")
	pass := make([]byte, 0, 32)
	var m state.MAC
	for i := range flood {
		pass = fmt.Appendf(pass[:0], "guess-%d", i)
		h.Sum(user, pass, &m)
		if !c.Rejected(&m) {
			c.StoreRejection(m)
		}
		if i%100_000 == 0 {
			if _, neg := c.Sizes(); neg > g.cfg.CacheMaxEntries {
				t.Fatalf("negative cache at %d entries after %d credentials, bound %d", neg, i, g.cfg.CacheMaxEntries)
			}
		}
	}
	growth := int64(heapInUse()) - int64(before)
	pos, neg := c.Sizes()
	t.Logf("after %d wrong credentials: %d negative entries, %d positive, heap growth %.1f MB", flood, neg, pos, float64(growth)/(1<<20))
	if neg > g.cfg.CacheMaxEntries || pos != 1 {
		t.Fatalf("entries: %d negative (bound %d), %d positive (want 1)", neg, g.cfg.CacheMaxEntries, pos)
	}
	if growth > bound {
		t.Fatalf("heap grew by %d bytes, documented bound %d", growth, bound)
	}
	if _, ok := c.Fresh(&good, time.Now()); !ok {
		t.Fatal("the flood evicted the known-good entry")
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestGateFloodStaysBounded: distinct wrong passwords through a Gate
// against slapd fill the negative cache only up to its bound and leave the
// good entry in place.
func TestGateFloodStaysBounded(t *testing.T) {
	srv := sharedLDAP(t)
	g, _ := newTestGate(t, directConfig(srv, map[string]any{"negative_cache_ttl": "1m", "cache_max_entries": 50.0}))
	expectOutcome(t, check(g, "alice", "alice-pass-1"), OutcomeGranted)
	for i := 0; i < 300; i++ {
		expectOutcome(t, check(g, "carol", fmt.Sprintf("guess-%d", i)), OutcomeUnauthorized)
		if pos, neg := g.cache.Sizes(); neg > 50 || pos > 50 {
			t.Fatalf("cache sizes %d/%d past the bound 50", pos, neg)
		}
	}
	before := counters(t, srv)
	expectOutcome(t, check(g, "alice", "alice-pass-1"), OutcomeGranted)
	if diff := counters(t, srv).Sub(before); diff.Binds != 0 {
		t.Fatal("the flood pushed the known-good entry out of the cache")
	}
}

// TestReloadsLeakNothing builds and discards an API's gate 1000 times, as
// Tyk's reloads do, each time using it against slapd: no goroutine,
// connection or meaningful memory is left behind.
func TestReloadsLeakNothing(t *testing.T) {
	srv := slapdtest.StartT(t)
	reg := NewRegistry(RegistryOptions{})
	defer reg.Close()
	configs := []map[string]any{directConfig(srv, nil), directConfig(srv, map[string]any{"realm": "Other"})}
	use := func(i int) {
		def := &fakeDefinition{name: fmt.Sprint(i)}
		g, err := reg.resolve(def, func() APISource { return source("reloaded-api", configs[i%2]) })
		if err != nil {
			t.Fatal(err)
		}
		expectOutcome(t, check(g, "alice", "alice-pass-1"), OutcomeGranted)
	}
	use(1) // warm up the runtime and the first gate
	goroutines, heap := runtime.NumGoroutine(), heapInUse()
	connsBefore := counters(t, srv).Connections
	const reloads = 1000
	for i := 0; i < reloads; i++ {
		use(i)
	}
	reg.Close()
	waitGoroutines(t, goroutines)
	growth := int64(heapInUse()) - int64(heap)
	t.Logf("%d reloads: %d connections opened, heap growth %d KB", reloads, counters(t, srv).Connections-connsBefore, growth>>10)
	if growth > 1<<20 {
		t.Fatalf("heap grew by %d bytes over %d reloads", growth, reloads)
	}
	if n := len(reg.apis); n != 0 {
		t.Fatalf("registry still tracks %d APIs", n)
	}
	if open := testutil.OpenConnections(t, srv.Addr()); open != 0 {
		t.Fatalf("%d connections to slapd still open", open)
	}
}

// waitGoroutines waits until at most want goroutines run: goroutines of
// closed connections end shortly after Close returns.
func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, want at most %d:\n%s", runtime.NumGoroutine(), want, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
	}
}
