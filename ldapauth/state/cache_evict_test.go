package state

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestEvictByDependency(t *testing.T) {
	now := time.Now()
	type stored struct {
		user string
		deps []string
	}
	users := []stored{
		{"alice", []string{"dn:alice", "dn:devs"}},
		{"bob", []string{"dn:bob", "dn:admins"}},
		{"carol", []string{"dn:carol", "dn:devs", "dn:admins"}},
	}
	for _, tc := range []struct {
		name  string
		evict []string
		gone  []string
	}{
		{"one user", []string{"dn:alice"}, []string{"alice"}},
		{"a group", []string{"dn:devs"}, []string{"alice", "carol"}},
		{"user and group", []string{"dn:bob", "dn:devs"}, []string{"alice", "bob", "carol"}},
		{"unknown key", []string{"dn:nobody"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestCache(CacheOptions{NegativeTTL: time.Minute})
			for _, u := range users {
				if !c.StoreWatched(c.Generation(), macOf(c, u.user, "pw"), "id-"+u.user, u.deps, &testGrant{user: u.user}, now) {
					t.Fatalf("%s not stored", u.user)
				}
			}
			c.StoreRejection(macOf(c, "mallory", "guess"))
			removed := c.Evict(tc.evict)
			if removed != len(tc.gone) {
				t.Errorf("Evict removed %d, want %d", removed, len(tc.gone))
			}
			for _, u := range users {
				m := macOf(c, u.user, "pw")
				_, ok := c.Fresh(&m, now)
				if ok == slices.Contains(tc.gone, u.user) {
					t.Errorf("%s cached %v after evicting %q", u.user, ok, tc.evict)
				}
			}
			if m := macOf(c, "mallory", "guess"); c.Rejected(&m) {
				t.Error("a rejection survived an eviction: a changed password could stay refused")
			}
		})
	}
}

// A decision read before an eviction must not be cached after it: the
// change behind the eviction may postdate the read.
func TestStoreRefusedAfterEviction(t *testing.T) {
	c := newTestCache(CacheOptions{NegativeTTL: time.Minute})
	now := time.Now()
	before := c.Generation()
	c.Evict([]string{"dn:unrelated"})
	m := macOf(c, "alice", "pw")
	if c.StoreWatched(before, m, "id-alice", []string{"dn:alice"}, &testGrant{}, now) {
		t.Fatal("a success read before an eviction was cached")
	}
	c.StoreRejectionSince(before, m)
	if c.Rejected(&m) {
		t.Fatal("a rejection read before an eviction was cached")
	}
	if !c.StoreWatched(c.Generation(), m, "id-alice", []string{"dn:alice"}, &testGrant{}, now) {
		t.Fatal("a current success was not cached")
	}
}

func TestEvictAll(t *testing.T) {
	c := newTestCache(CacheOptions{NegativeTTL: time.Minute})
	now := time.Now()
	for i := range 10 {
		c.StoreWatched(c.Generation(), macOf(c, fmt.Sprint("u", i), "pw"), fmt.Sprint("id-", i), []string{fmt.Sprint("dn:", i)}, &testGrant{}, now)
	}
	c.StoreRejection(macOf(c, "x", "y"))
	if n := c.EvictAll(); n != 10 {
		t.Fatalf("EvictAll removed %d, want 10", n)
	}
	if pos, neg := c.Sizes(); pos != 0 || neg != 0 || len(c.IndexKeys()) != 0 {
		t.Fatalf("after EvictAll: %d positive, %d negative, %d index keys", pos, neg, len(c.IndexKeys()))
	}
	if c.Evicted() != 10 {
		t.Fatalf("Evicted() = %d", c.Evicted())
	}
}

// The index does not grow without bound as grants expire or give way.
func TestIndexPruned(t *testing.T) {
	c := newTestCache(CacheOptions{SpellingsPerUser: 1, MaxEntries: 10_000})
	now := time.Now()
	for i := range 3 * pruneEvery {
		// One account, a new spelling each time: each store displaces the
		// previous grant.
		c.StoreWatched(c.Generation(), macOf(c, fmt.Sprint("alice", i), "pw"), "id-alice", []string{fmt.Sprint("dn:spelling-", i)}, &testGrant{}, now)
	}
	if n := len(c.IndexKeys()); n > pruneEvery+1 {
		t.Fatalf("%d index keys for 1 cached grant", n)
	}
}

// The cache-hit path with an indexed entry, beside one stored unindexed:
// the index must not slow hits down.
func BenchmarkCacheHit(b *testing.B) {
	for _, tc := range []struct {
		name    string
		indexed bool
	}{{"unwatched", false}, {"watched", true}} {
		b.Run(tc.name, func(b *testing.B) {
			c := newTestCache(CacheOptions{MaxEntries: 20_000})
			now := time.Now()
			for i := range 10_000 {
				m := macOf(c, fmt.Sprint("user-", i), "pw")
				if tc.indexed {
					c.StoreWatched(c.Generation(), m, fmt.Sprint("id-", i), []string{fmt.Sprint("dn:", i), "dn:devs"}, &testGrant{}, now)
				} else {
					c.StoreGrant(m, fmt.Sprint("id-", i), &testGrant{}, now)
				}
			}
			m := macOf(c, "user-42", "pw")
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, ok := c.Fresh(&m, now); !ok {
					b.Fatal("miss")
				}
			}
		})
	}
}
