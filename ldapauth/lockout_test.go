package ldapauth

import (
	"fmt"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestTracker(max int, window time.Duration) (*failureTracker, *fakeClock) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	tr := newFailureTracker(max, window)
	tr.now = clock.now
	return tr, clock
}

func TestFailureTrackerLocksAfterMax(t *testing.T) {
	tr, clock := newTestTracker(3, time.Minute)
	for i := 1; i <= 3; i++ {
		if got := tr.lockedFor("alice"); got != 0 {
			t.Fatalf("locked after %d failures", i-1)
		}
		locked := tr.fail("alice")
		if locked != (i == 3) {
			t.Fatalf("failure %d: locked = %v", i, locked)
		}
	}
	if got := tr.lockedFor("alice"); got != time.Minute {
		t.Fatalf("lockedFor = %v, want 1m", got)
	}
	if got := tr.lockedFor("bob"); got != 0 {
		t.Fatalf("another user is locked: %v", got)
	}
	clock.advance(59 * time.Second)
	if got := tr.lockedFor("alice"); got != time.Second {
		t.Fatalf("lockedFor after 59s = %v, want 1s", got)
	}
	clock.advance(time.Second)
	if got := tr.lockedFor("alice"); got != 0 {
		t.Fatalf("still locked after the window: %v", got)
	}
}

func TestFailureTrackerWindowResetsCount(t *testing.T) {
	tr, clock := newTestTracker(3, time.Minute)
	tr.fail("alice")
	tr.fail("alice")
	clock.advance(61 * time.Second)
	if tr.fail("alice") {
		t.Fatal("failures from an expired window still counted")
	}
}

func TestFailureTrackerSuccessForgets(t *testing.T) {
	tr, _ := newTestTracker(2, time.Minute)
	tr.fail("alice")
	tr.succeed("alice")
	if tr.fail("alice") {
		t.Fatal("a success did not reset the failure count")
	}
}

func TestFailureTrackerAliasLock(t *testing.T) {
	tr, _ := newTestTracker(2, time.Minute)
	tr.fail("alice")
	tr.fail("alice")
	tr.lockAlias("ａｌｉｃｅ", tr.lockedFor("alice"))
	if tr.lockedFor("ａｌｉｃｅ") == 0 {
		t.Fatal("alias not locked")
	}
}

func TestLockoutKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice", "alice"}, {"Alice", "alice"}, {" alice", "alice"}, {"ALICE  ", "alice"}, {"  aLiCe ", "alice"},
		{"mary  ann", "mary ann"}, {"STRASSE", "strasse"}, {"straße", "strasse"}, {"ǅ", "dž"},
	}
	for _, tt := range tests {
		if got := lockoutKey(tt.in); got != tt.want {
			t.Errorf("lockoutKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A flood of one-failure usernames must neither grow memory past the bound
// nor push out the user who is actually being attacked.
func TestFailureTrackerBoundKeepsTheTarget(t *testing.T) {
	tr, _ := newTestTracker(5, time.Hour)
	tr.capacity = 1000
	for i := 0; i < 3; i++ {
		tr.fail("victim")
	}
	for i := 0; i < 20_000; i++ {
		tr.fail(fmt.Sprintf("random-%d", i))
		if i%1000 == 0 {
			tr.fail("victim-keepalive-noop") // unrelated churn
		}
	}
	if n := tr.size(); n > 1000 {
		t.Fatalf("tracker holds %d entries, bound is 1000", n)
	}
	tr.fail("victim")
	if !tr.fail("victim") {
		t.Fatal("the attacked user's failures were forgotten during the flood")
	}
}

func TestFailureTrackerNeverEvictsLocks(t *testing.T) {
	tr, _ := newTestTracker(1, time.Hour)
	tr.capacity = 10
	for i := 0; i < 10; i++ {
		tr.fail(fmt.Sprintf("locked-%d", i))
	}
	tr.fail("newcomer") // no room without dropping a lock: not tracked
	for i := 0; i < 10; i++ {
		if tr.lockedFor(fmt.Sprintf("locked-%d", i)) == 0 {
			t.Fatalf("lock %d was evicted", i)
		}
	}
}

func TestFailureTrackerCountsOneAttemptOnceAcrossKeys(t *testing.T) {
	tr, _ := newTestTracker(2, time.Minute)
	if tr.fail("alice", "alice") {
		t.Fatal("one failure recorded under the same key twice locked the user")
	}
	if !tr.fail("alice", "alice") {
		t.Fatal("second failure did not lock")
	}
}
