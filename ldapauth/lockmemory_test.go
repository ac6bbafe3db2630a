package ldapauth

import (
	"fmt"
	"testing"
	"time"
)

// "unlocked" audit lines keep coming after more locks than
// cache_max_entries have ended: the memory drops what it no longer needs
// instead of refusing to remember new locks, and stays bounded.
func TestUnlockedLinesOutliveManyLocks(t *testing.T) {
	g, log := newTestGate(t, minimal(map[string]any{"cache_max_entries": 10.0, "audit_log": true}))
	clock := time.Unix(1_700_000_000, 0)
	g.locks.now = func() time.Time { return clock }
	client := clientAddress{ip: "192.0.2.1", key: "client:192.0.2.1"}
	for round := range 5 {
		for i := range 10 {
			g.lockEvent(fmt.Sprintf("dn:uid=user-%d-%d", round, i), client, "max_failures reached", time.Minute)
		}
		if n := g.locks.size(); n > 10 {
			t.Fatalf("round %d: %d locks remembered, limit 10", round, n)
		}
		clock = clock.Add(61 * time.Second)
		key := fmt.Sprintf("dn:uid=user-%d-3", round)
		g.noteUnlock(key, client)
		if n := log.count(`event="unlocked" account="` + key + `"`); n != 1 {
			t.Fatalf("round %d: %d unlocked lines for %s", round, n, key)
		}
		clock = clock.Add(2 * time.Minute) // past keeping: this round's locks may go
	}
}

// A full memory of live locks makes room by forgetting the one closest to
// its end, so the newest lock is always remembered.
func TestLockMemoryFullOfLiveLocks(t *testing.T) {
	m := newLockMemory(3)
	clock := time.Unix(1_700_000_000, 0)
	m.now = func() time.Time { return clock }
	for i, d := range []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute, 4 * time.Minute} {
		m.locked(fmt.Sprint(i), d)
	}
	if m.size() != 3 {
		t.Fatalf("%d remembered, limit 3", m.size())
	}
	clock = clock.Add(4 * time.Minute)
	if m.ended("0") {
		t.Fatal("the lock closest to being forgotten was kept over the newest")
	}
	for _, k := range []string{"1", "2", "3"} {
		if !m.ended(k) {
			t.Fatalf("lock %s: its end was not reported", k)
		}
		if m.ended(k) {
			t.Fatalf("lock %s: its end was reported twice", k)
		}
	}
}
