package state

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a settable time source for LocalAttempts.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newTestAttempts(max int, window time.Duration, capacity int) (*LocalAttempts, *fakeClock) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	a := NewLocalAttempts(Limits{Max: max, Window: window}, capacity)
	a.now = clock.Now
	return a, clock
}

var bg = context.Background()

// However many attempts arrive at once, at most Max are granted while none
// has settled: attempts in flight count against the limit.
func TestLocalAttemptsBoundHoldsUnderConcurrency(t *testing.T) {
	for _, max := range []int{1, 3, 5} {
		t.Run(fmt.Sprint(max), func(t *testing.T) {
			a, _ := newTestAttempts(max, time.Minute, 0)
			const callers = 200
			var granted atomic.Int32
			var held []Reservation
			var mu sync.Mutex
			var wg sync.WaitGroup
			start := make(chan struct{})
			for range callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					r, err := a.Reserve(bg, "dn:uid=alice")
					if err != nil {
						var le *LockedError
						if !errors.As(err, &le) {
							t.Errorf("Reserve: %v", err)
						}
						return
					}
					granted.Add(1)
					mu.Lock()
					held = append(held, r)
					mu.Unlock()
				}()
			}
			close(start)
			wg.Wait()
			if granted.Load() != int32(max) {
				t.Fatalf("%d of %d concurrent attempts were granted, want exactly %d", granted.Load(), callers, max)
			}
			for _, r := range held {
				r.Failed(bg)
			}
			if left := a.LockedFor(bg, "dn:uid=alice"); left <= 0 {
				t.Fatal("max failures did not lock the key")
			}
			if _, err := a.Reserve(bg, "dn:uid=alice"); err == nil {
				t.Fatal("a locked key granted another attempt")
			}
		})
	}
}

func TestLocalAttemptsSettling(t *testing.T) {
	tests := []struct {
		name string
		// run settles reservations and reports whether a fourth
		// concurrent reservation is possible afterwards.
		run        func(rs []Reservation)
		wantLocked bool
		wantFree   int // reservations possible afterwards
	}{
		{"three failures lock", func(rs []Reservation) {
			for _, r := range rs {
				r.Failed(bg)
			}
		}, true, 0},
		{"cancel frees the slot uncounted", func(rs []Reservation) {
			for _, r := range rs {
				r.Cancel(bg)
			}
		}, false, 3},
		{"success resets failures", func(rs []Reservation) {
			rs[0].Failed(bg)
			rs[1].Failed(bg)
			rs[2].Succeeded(bg)
		}, false, 3},
		{"settling twice counts once", func(rs []Reservation) {
			rs[0].Failed(bg)
			rs[0].Failed(bg)
			rs[0].Succeeded(bg)
			rs[1].Cancel(bg)
			rs[2].Cancel(bg)
		}, false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := newTestAttempts(3, time.Minute, 0)
			var rs []Reservation
			for range 3 {
				r, err := a.Reserve(bg, "k")
				if err != nil {
					t.Fatal(err)
				}
				rs = append(rs, r)
			}
			if _, err := a.Reserve(bg, "k"); err == nil {
				t.Fatal("a fourth reservation was granted while three are in flight")
			}
			tt.run(rs)
			if locked := a.LockedFor(bg, "k") > 0; locked != tt.wantLocked {
				t.Fatalf("locked = %v, want %v", locked, tt.wantLocked)
			}
			free := 0
			for range 5 {
				if _, err := a.Reserve(bg, "k"); err == nil {
					free++
				}
			}
			if free != tt.wantFree {
				t.Fatalf("%d reservations possible afterwards, want %d", free, tt.wantFree)
			}
		})
	}
}

func TestLocalAttemptsWindow(t *testing.T) {
	a, clock := newTestAttempts(3, time.Minute, 0)
	fail := func() {
		r, err := a.Reserve(bg, "k")
		if err != nil {
			t.Fatal(err)
		}
		r.Failed(bg)
	}
	fail()
	fail()
	clock.advance(61 * time.Second) // the window passed: earlier failures no longer count
	fail()
	fail()
	if a.LockedFor(bg, "k") > 0 {
		t.Fatal("failures from an old window were counted")
	}
	fail()
	left := a.LockedFor(bg, "k")
	if left != time.Minute {
		t.Fatalf("locked for %v, want the whole window", left)
	}
	var le *LockedError
	if _, err := a.Reserve(bg, "k"); !errors.As(err, &le) || le.RetryAfter != time.Minute {
		t.Fatalf("Reserve on a locked key: %v", err)
	}
	clock.advance(time.Minute + time.Second)
	if _, err := a.Reserve(bg, "k"); err != nil {
		t.Fatalf("the lock outlived its window: %v", err)
	}
}

func TestLocalAttemptsLock(t *testing.T) {
	a, clock := newTestAttempts(3, time.Minute, 0)
	a.Lock(bg, "k", 10*time.Second)
	if _, err := a.Reserve(bg, "k"); err == nil {
		t.Fatal("Lock did not stop attempts")
	}
	clock.advance(11 * time.Second)
	if _, err := a.Reserve(bg, "k"); err != nil {
		t.Fatalf("the lock outlived its duration: %v", err)
	}
}

// A flood of distinct keys (one failure each) cannot evict the key under
// attack, nor a lock, nor a key with attempts in flight; memory stays
// bounded.
func TestLocalAttemptsBoundKeepsTheTarget(t *testing.T) {
	a, _ := newTestAttempts(5, time.Minute, 100)
	for range 4 {
		r, _ := a.Reserve(bg, "target")
		r.Failed(bg)
	}
	locked, _ := a.Reserve(bg, "locked")
	locked.Failed(bg)
	a.Lock(bg, "locked", time.Minute)
	busy, err := a.Reserve(bg, "busy")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10_000 {
		if r, err := a.Reserve(bg, fmt.Sprintf("random-%d", i)); err == nil {
			r.Failed(bg)
		}
		if a.size() > 100 {
			t.Fatalf("%d keys tracked, bound is 100", a.size())
		}
	}
	r, err := a.Reserve(bg, "target")
	if err != nil {
		t.Fatalf("target: %v", err)
	}
	if !r.Failed(bg) {
		t.Fatal("the target's earlier failures were forgotten under the flood")
	}
	if a.LockedFor(bg, "locked") == 0 {
		t.Fatal("a lock was evicted")
	}
	busy.Failed(bg)
	if a.size() > 100 {
		t.Fatalf("%d keys tracked after settling, bound is 100", a.size())
	}
}

// A key whose attempts all settled without failures is forgotten.
func TestLocalAttemptsForgetsCleanKeys(t *testing.T) {
	a, _ := newTestAttempts(3, time.Minute, 0)
	r, _ := a.Reserve(bg, "k")
	r.Succeeded(bg)
	r, _ = a.Reserve(bg, "j")
	r.Cancel(bg)
	if a.size() != 0 {
		t.Fatalf("%d keys kept after clean settling", a.size())
	}
}
