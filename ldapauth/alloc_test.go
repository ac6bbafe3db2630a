//go:build !race

// Allocation checks run without the race detector: under -race sync.Pool
// drops items on purpose and the counts mean nothing. ./build.sh test runs
// them in a separate, non-race step.

package ldapauth

import (
	"testing"
	"time"
)

// Parsing must not allocate: it runs on every request, including the cache
// hits that are meant to cost next to nothing.
func TestAllocParseBasic(t *testing.T) {
	header := basic("alice:correct horse battery staple")
	var buf CredentialsBuffer
	allocs := testing.AllocsPerRun(100, func() {
		if _, _, err := ParseBasic(header, &buf); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("ParseBasic allocates %v times per call, want 0", allocs)
	}
}

func TestAllocCacheHit(t *testing.T) {
	c := testCache(t, nil)
	now := time.Now()
	mac := macOf(c, "alice", "right")
	c.storeGrant(mac, &Grant{Identity: &Identity{Username: "alice"}}, now)
	user, pass := []byte("alice"), []byte("right")
	allocs := testing.AllocsPerRun(200, func() {
		s := c.getScratch()
		c.computeKey(s, user, pass)
		if c.fresh(s.lookupKey(), &s.sum, now) == nil {
			t.Fatal("miss")
		}
		c.putScratch(s)
	})
	if allocs != 0 {
		t.Fatalf("a cache hit allocates %v times, want 0", allocs)
	}
}
