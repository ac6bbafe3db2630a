package state

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

type testGrant struct{ user, note string }

func newTestCache(opts CacheOptions) *Cache[*testGrant] {
	if opts.MaxEntries == 0 {
		opts.MaxEntries = 100
	}
	if opts.TTL == 0 {
		opts.TTL = time.Minute
	}
	return NewCache[*testGrant](opts)
}

func macOf(c *Cache[*testGrant], user, pass string) MAC {
	h := c.Hasher()
	defer c.Release(h)
	var m MAC
	h.Sum([]byte(user), []byte(pass), &m)
	return m
}

func TestMACSeparatesInputs(t *testing.T) {
	c := newTestCache(CacheOptions{Salt: []byte("config A")})
	other := newTestCache(CacheOptions{Salt: []byte("config B")})
	base := macOf(c, "alice", "secret")
	distinct := map[string]MAC{
		"other password":      macOf(c, "alice", "secret2"),
		"other user":          macOf(c, "bob", "secret"),
		"boundary moved":      macOf(c, "alices", "ecret"),
		"colon moved":         macOf(c, "alice:s", "ecret"),
		"other configuration": macOf(other, "alice", "secret"),
	}
	for name, mac := range distinct {
		if mac == base {
			t.Errorf("%s: same MAC as alice/secret", name)
		}
	}
	if macOf(c, "alice", "secret") != base {
		t.Error("the MAC is not deterministic")
	}
}

func TestCacheHitOnlyForTheExactCredentials(t *testing.T) {
	c := newTestCache(CacheOptions{})
	now := time.Now()
	good := macOf(c, "alice", "right")
	c.StoreGrant(good, "id-alice", &testGrant{user: "alice"}, now)
	tests := []struct {
		name string
		mac  MAC
		want bool
	}{
		{"same credentials", good, true},
		{"other password", macOf(c, "alice", "wrong"), false},
		{"other spelling, same password", macOf(c, "Alice", "right"), false},
	}
	for _, tt := range tests {
		if _, ok := c.Fresh(&tt.mac, now); ok != tt.want {
			t.Errorf("%s: hit = %v, want %v", tt.name, ok, tt.want)
		}
	}
}

func TestCacheFreshnessAndStaleWindow(t *testing.T) {
	c := newTestCache(CacheOptions{TTL: time.Second, StaleFor: 10 * time.Second})
	mac := macOf(c, "alice", "right")
	now := time.Now()
	c.StoreGrant(mac, "id-alice", &testGrant{user: "alice"}, now)
	if _, ok := c.Fresh(&mac, now.Add(500*time.Millisecond)); !ok {
		t.Fatal("not fresh within the TTL")
	}
	if _, ok := c.Fresh(&mac, now.Add(1100*time.Millisecond)); ok {
		t.Fatal("fresh past the TTL")
	}
	if _, ok := c.Stale(&mac); !ok {
		t.Fatal("no stale entry within StaleFor")
	}
	noStale := newTestCache(CacheOptions{TTL: time.Second})
	noStale.StoreGrant(mac, "id-alice", &testGrant{}, now)
	if _, ok := noStale.Stale(&mac); ok {
		t.Fatal("stale entry served with StaleFor 0")
	}
}

func TestCacheDisabled(t *testing.T) {
	c := NewCache[*testGrant](CacheOptions{MaxEntries: 10})
	mac := macOf(c, "alice", "right")
	if c.StoreGrant(mac, "id", &testGrant{}, time.Now()) {
		t.Fatal("stored with TTL 0")
	}
	if _, ok := c.Fresh(&mac, time.Now()); ok {
		t.Fatal("hit with TTL 0")
	}
	c.StoreRejection(mac)
	if c.Rejected(&mac) {
		t.Fatal("rejection remembered with NegativeTTL 0")
	}
}

// A flood of distinct wrong credentials fills only the negative side, stays
// within the bound, and never evicts known-good entries; the positive side
// refuses new users at its bound instead of evicting.
func TestCacheBoundUnderFlood(t *testing.T) {
	c := newTestCache(CacheOptions{MaxEntries: 100, NegativeTTL: time.Minute})
	now := time.Now()
	good := macOf(c, "alice", "right")
	c.StoreGrant(good, "id-alice", &testGrant{user: "alice"}, now)
	for i := range 10_000 {
		c.StoreRejection(macOf(c, "mallory", fmt.Sprintf("guess-%d", i)))
		if _, neg := c.Sizes(); neg > 100 {
			t.Fatalf("negative side grew to %d entries, bound is 100", neg)
		}
	}
	if _, ok := c.Fresh(&good, now); !ok {
		t.Fatal("the flood evicted a known-good entry")
	}
	for i := range 200 {
		c.StoreGrant(macOf(c, fmt.Sprintf("user-%d", i), "pw"), fmt.Sprintf("id-%d", i), &testGrant{}, now)
	}
	if pos, _ := c.Sizes(); pos > 100 {
		t.Fatalf("positive side grew to %d entries, bound is 100", pos)
	}
	if _, ok := c.Fresh(&good, now); !ok {
		t.Fatal("filling the positive side evicted a known-good entry")
	}
}

// One valid account cannot fill the positive side with spellings the
// directory folds into one user: each user holds at most SpellingsPerUser
// entries, so everyone else keeps being cached.
func TestCacheBoundsSpellingsPerUser(t *testing.T) {
	c := newTestCache(CacheOptions{MaxEntries: 50, SpellingsPerUser: 3})
	now := time.Now()
	var last []MAC
	for i := range 1000 {
		spelling := fmt.Sprintf("%*s", 5+i%40, "alice") // outer spaces
		if i%2 == 1 {
			spelling = strings.ToUpper(spelling)
		}
		spelling += strings.Repeat(" ", i/80)
		m := macOf(c, spelling, "right")
		c.StoreGrant(m, "id-alice", &testGrant{user: "alice"}, now)
		last = append(last, m)
	}
	if pos, _ := c.Sizes(); pos > 3 {
		t.Fatalf("one user holds %d positive entries, bound is 3", pos)
	}
	newest := last[len(last)-1]
	if _, ok := c.Fresh(&newest, now); !ok {
		t.Fatal("the newest spelling is not cached")
	}
	for i := range 40 {
		m := macOf(c, fmt.Sprintf("user-%d", i), "pw")
		if !c.StoreGrant(m, fmt.Sprintf("id-%d", i), &testGrant{}, now) {
			t.Fatalf("user %d could not be cached after one user's spelling flood", i)
		}
	}
}

// The first refusal of a full positive side is logged, once per episode.
func TestCacheLogsOnceWhenFull(t *testing.T) {
	var logs recordedLogs
	c := newTestCache(CacheOptions{MaxEntries: 2, Logger: slog.New(&logs)})
	now := time.Now()
	for i := range 10 {
		c.StoreGrant(macOf(c, fmt.Sprintf("u%d", i), "pw"), fmt.Sprintf("id-%d", i), &testGrant{}, now)
	}
	if n := logs.count("decision cache is full"); n != 1 {
		t.Fatalf("logged %d times, want once:\n%s", n, logs.all())
	}
}

// Neither the keys nor anything reachable from the stored values holds the
// password or an unkeyed hash of it.
func TestCacheNeverHoldsThePassword(t *testing.T) {
	c := newTestCache(CacheOptions{NegativeTTL: time.Minute})
	const password = "P4ssw0rd-unique-marker"
	c.StoreGrant(macOf(c, "alice", password), "id-alice", &testGrant{user: "alice", note: "uid=alice"}, time.Now())
	c.StoreRejection(macOf(c, "bob", password))
	plain := sha256.Sum256([]byte(password))
	var found []string
	check := func(where string, b []byte) {
		if bytes.Contains(b, []byte(password)) || bytes.Contains(b, plain[:]) {
			found = append(found, where)
		}
	}
	visited := 0
	for name, items := range map[string]map[string]any{
		"positive": itemsOf(c.positive.Items()), "negative": itemsOf(c.negative.Items()), "spellings": itemsOf(c.spellings.Items()),
	} {
		for k, v := range items {
			check(name+" key", []byte(k))
			walkBytes(reflect.ValueOf(v), func(b []byte) { visited++; check(name+" value", b) })
		}
	}
	if visited < 3 {
		t.Fatalf("inspected only %d stored strings: the walk does not reach the values", visited)
	}
	if len(found) > 0 {
		t.Fatalf("the password or its unkeyed hash is stored in: %v", found)
	}
}

// TestCacheConcurrentUse runs stores and lookups from many goroutines; the
// race detector checks the synchronisation.
func TestCacheConcurrentUse(t *testing.T) {
	c := newTestCache(CacheOptions{MaxEntries: 64, NegativeTTL: time.Minute, SpellingsPerUser: 2})
	now := time.Now()
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				m := macOf(c, fmt.Sprintf("user-%d-%d", g%4, i%7), "pw")
				c.StoreGrant(m, fmt.Sprintf("id-%d", g%4), &testGrant{}, now)
				c.Fresh(&m, now)
				c.StoreRejection(m)
				c.Rejected(&m)
			}
		}()
	}
	wg.Wait()
	if pos, _ := c.Sizes(); pos > 4*2 {
		t.Fatalf("%d positive entries for 4 users with 2 spellings each", pos)
	}
}
