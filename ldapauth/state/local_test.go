package state

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
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

// The window slides: replaying a random schedule of wrong passwords
// against one key with a fake clock, no Window-long interval ever holds
// more than Max granted attempts, and attempts are granted again once old
// failures age out.
func TestLocalAttemptsSlidingWindow(t *testing.T) {
	const max, window = 5, 2 * time.Second
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			a, clock := newTestAttempts(max, window, 0)
			rng := rand.New(rand.NewPCG(seed, 1))
			var granted []time.Time
			var held []Reservation
			for range 2000 {
				clock.advance(time.Duration(rng.IntN(400)) * time.Millisecond)
				// Settle some attempts still in flight, as slow binds would.
				for len(held) > 0 && rng.IntN(2) == 0 {
					held[0].Failed(bg)
					held = held[1:]
				}
				for range rng.IntN(4) {
					r, err := a.Reserve(bg, "k")
					if err != nil {
						continue
					}
					granted = append(granted, clock.Now())
					if rng.IntN(3) == 0 {
						held = append(held, r)
					} else {
						r.Failed(bg)
					}
				}
			}
			for i, from := range granted {
				n := 0
				for _, at := range granted[i:] {
					if at.Sub(from) < window {
						n++
					}
				}
				if n > max {
					t.Fatalf("%d attempts granted within %v from %v, want at most %d", n, window, from.Sub(granted[0]), max)
				}
			}
			if len(granted) < 2*max {
				t.Fatalf("only %d attempts granted in the whole run: the key never unlocked", len(granted))
			}
		})
	}
}

// The attack on a full tracker: 100,000 made-up usernames, three wrong
// passwords each, from several goroutines. Memory stays bounded and every
// other account still gets its attempts, concurrently.
func TestLocalAttemptsFullOfLocksAdmitsOthers(t *testing.T) {
	a := NewLocalAttempts(Limits{Max: 3, Window: time.Hour}, 0)
	const attackers, names = 4, DefaultLocalCapacity
	var wg sync.WaitGroup
	for w := range attackers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < names; i += attackers {
				key := fmt.Sprintf("name:made-up-%d", i)
				for range 3 {
					if r, err := a.Reserve(bg, key); err == nil {
						r.Failed(bg)
					}
				}
			}
		}()
	}
	wg.Wait()
	if n := a.size(); n > DefaultLocalCapacity+64 {
		t.Fatalf("%d keys tracked, bound is %d", n, DefaultLocalCapacity)
	}
	if locked := a.LockedFor(bg, fmt.Sprintf("name:made-up-%d", names-1)); locked == 0 {
		t.Fatal("the attack did not lock its own keys; the test proves nothing")
	}
	var refused atomic.Int32
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 250 {
				r, err := a.Reserve(bg, fmt.Sprintf("dn:uid=innocent-%d-%d", w, i))
				if err != nil {
					refused.Add(1)
					continue
				}
				r.Succeeded(bg)
			}
		}()
	}
	wg.Wait()
	if n := refused.Load(); n > 0 {
		t.Fatalf("%d of 2000 innocent accounts were refused by a tracker full of locks", n)
	}
}

// What pushing a real lock out costs: in a tracker of capacity C, the
// lock survives C-1 newer locks and floods of single failures, and goes
// only when a capacity's worth of newer locks has been made.
func TestLocalAttemptsLockEvictionCost(t *testing.T) {
	const capacity = 1000
	a, _ := newTestAttempts(3, time.Hour, capacity)
	lock := func(key string) {
		for range 3 {
			if r, err := a.Reserve(bg, key); err == nil {
				r.Failed(bg)
			}
		}
	}
	lock("target")
	for i := range 10 * capacity {
		if r, err := a.Reserve(bg, fmt.Sprintf("spray-%d", i)); err == nil {
			r.Failed(bg)
		}
	}
	for i := range capacity - 1 {
		lock(fmt.Sprintf("lock-%d", i))
	}
	if a.LockedFor(bg, "target") == 0 {
		t.Fatalf("the target's lock went after fewer than %d newer locks", capacity)
	}
	lock("one-more")
	if a.LockedFor(bg, "target") != 0 {
		t.Fatal("a full tracker kept its oldest lock and refused a new key instead")
	}
}

// tracks reports whether key has a record.
func (a *LocalAttempts) tracks(key string) bool {
	s := a.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys[key] != nil
}

// The cost of an attempt does not grow with what the tracker holds: a
// tracker full of 100,000 locks against an empty one.
func BenchmarkLocalAttemptsReserve(b *testing.B) {
	for _, full := range []bool{false, true} {
		name := "empty"
		if full {
			name = "full-of-locks"
		}
		b.Run(name, func(b *testing.B) {
			a := NewLocalAttempts(Limits{Max: 3, Window: time.Hour}, 0)
			if full {
				for i := range DefaultLocalCapacity {
					a.Lock(bg, fmt.Sprintf("name:made-up-%d", i), time.Hour)
				}
			}
			keys := make([]string, 1024)
			for i := range keys {
				keys[i] = fmt.Sprintf("dn:uid=user-%d", i)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				r, err := a.Reserve(bg, keys[i%len(keys)])
				if err != nil {
					b.Fatal(err)
				}
				r.Failed(bg)
				r2, err := a.Reserve(bg, keys[i%len(keys)])
				if err == nil {
					r2.Succeeded(bg)
				}
			}
		})
	}
}
