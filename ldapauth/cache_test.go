package ldapauth

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"
)

func testCache(t *testing.T, overrides map[string]interface{}) *decisionCache {
	t.Helper()
	cfg, err := ParseConfig(minimal(overrides))
	if err != nil {
		t.Fatal(err)
	}
	return newDecisionCache(cfg)
}

func macOf(c *decisionCache, user, pass string) [sha256.Size]byte {
	s := c.getScratch()
	defer c.putScratch(s)
	c.computeKey(s, []byte(user), []byte(pass))
	return s.sum
}

func TestCacheKeysSeparateInputs(t *testing.T) {
	c := testCache(t, nil)
	other := testCache(t, map[string]interface{}{"pool_size": 3.0})
	base := macOf(c, "alice", "secret")
	distinct := map[string][sha256.Size]byte{
		"other password":          macOf(c, "alice", "secret2"),
		"other user":              macOf(c, "bob", "secret"),
		"boundary moved":          macOf(c, "alices", "ecret"),
		"colon moved":             macOf(c, "alice:s", "ecret"),
		"other API configuration": macOf(other, "alice", "secret"),
	}
	for name, mac := range distinct {
		if mac == base {
			t.Errorf("%s: same cache key as alice/secret", name)
		}
	}
	if macOf(c, "alice", "secret") != base {
		t.Error("cache key is not deterministic")
	}
}

func TestCacheHitOnlyForTheExactPassword(t *testing.T) {
	c := testCache(t, nil)
	now := time.Now()
	good := macOf(c, "alice", "right")
	c.storeGrant(good, &Grant{Identity: &Identity{Username: "alice"}, Allowed: true}, now)
	if g := c.fresh(string(good[:]), &good, now); g == nil {
		t.Fatal("stored grant not found")
	}
	wrong := macOf(c, "alice", "wrong")
	if g := c.fresh(string(wrong[:]), &wrong, now); g != nil {
		t.Fatal("a different password hit the cached success")
	}
}

func TestCacheFreshnessAndStaleWindow(t *testing.T) {
	c := testCache(t, map[string]interface{}{"cache_ttl": "1s", "stale_if_error": "10s"})
	mac := macOf(c, "alice", "right")
	now := time.Now()
	c.storeGrant(mac, &Grant{Identity: &Identity{Username: "alice"}}, now)
	key := string(mac[:])
	if c.fresh(key, &mac, now.Add(500*time.Millisecond)) == nil {
		t.Fatal("not fresh within ttl")
	}
	if c.fresh(key, &mac, now.Add(1100*time.Millisecond)) != nil {
		t.Fatal("fresh past ttl")
	}
	if c.stale(key, &mac) == nil {
		t.Fatal("no stale entry within stale_if_error")
	}
	noStale := testCache(t, map[string]interface{}{"cache_ttl": "1s"})
	noStale.storeGrant(mac, &Grant{}, now)
	if noStale.stale(key, &mac) != nil {
		t.Fatal("stale entry served with stale_if_error off")
	}
}

func TestCacheDisabled(t *testing.T) {
	c := testCache(t, map[string]interface{}{"cache_ttl": "0"})
	mac := macOf(c, "alice", "right")
	if c.storeGrant(mac, &Grant{}, time.Now()) {
		t.Fatal("stored with cache_ttl 0")
	}
	if c.fresh(string(mac[:]), &mac, time.Now()) != nil {
		t.Fatal("hit with cache_ttl 0")
	}
}

// A flood of distinct wrong credentials fills only the negative side, stays
// within the bound, and never evicts known-good entries.
func TestCacheBoundUnderFlood(t *testing.T) {
	c := testCache(t, map[string]interface{}{"cache_max_entries": 100.0, "negative_cache_ttl": "1m"})
	now := time.Now()
	good := macOf(c, "alice", "right")
	c.storeGrant(good, &Grant{Identity: &Identity{Username: "alice"}}, now)
	for i := 0; i < 10_000; i++ {
		c.storeRejection(macOf(c, "mallory", fmt.Sprintf("guess-%d", i)))
		if _, neg := c.sizes(); neg > 100 {
			t.Fatalf("negative cache grew to %d entries, bound is 100", neg)
		}
	}
	if c.fresh(string(good[:]), &good, now) == nil {
		t.Fatal("the flood evicted a known-good entry")
	}
	// The positive side refuses new entries at the bound instead of evicting.
	for i := 0; i < 200; i++ {
		c.storeGrant(macOf(c, fmt.Sprintf("user-%d", i), "pw"), &Grant{}, now)
	}
	if pos, _ := c.sizes(); pos > 100 {
		t.Fatalf("positive cache grew to %d entries, bound is 100", pos)
	}
	if c.fresh(string(good[:]), &good, now) == nil {
		t.Fatal("filling the positive side evicted a known-good entry")
	}
}

func TestCacheNeverHoldsThePassword(t *testing.T) {
	c := testCache(t, map[string]interface{}{"negative_cache_ttl": "1m"})
	const password = "P4ssw0rd-unique-marker"
	mac := macOf(c, "alice", password)
	c.storeGrant(mac, &Grant{Identity: &Identity{Username: "alice", DN: "uid=alice"}}, time.Now())
	c.storeRejection(macOf(c, "bob", password))
	plain := sha256.Sum256([]byte(password))
	for name, items := range map[string]interface{}{"positive": c.positive.Items(), "negative": c.negative.Items()} {
		dump := []byte(fmt.Sprintf("%#v", items))
		for k := range c.positive.Items() {
			dump = append(dump, k...)
		}
		for k := range c.negative.Items() {
			dump = append(dump, k...)
		}
		if bytes.Contains(dump, []byte(password)) || bytes.Contains(dump, plain[:]) {
			t.Fatalf("%s cache holds the password or its unkeyed hash", name)
		}
	}
}
