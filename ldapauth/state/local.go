package state

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Memory bounds of LocalAttempts (about 100 bytes a key). When full, an
// expired key is forgotten first, else the key with the fewest failures
// among a sample, never one that is locked or has attempts in flight: a
// flood of random usernames (one failure each) cannot push out the account
// that is actually under attack.
const (
	DefaultLocalCapacity = 100_000
	evictionSample       = 64
	// busyRetry is the Retry-After for a key whose budget is taken by
	// attempts still in flight: they settle within one bind timeout.
	busyRetry = time.Second
)

// LocalAttempts counts attempts in this process. It is safe for concurrent
// use; every method takes one mutex for a map operation.
type LocalAttempts struct {
	limits   Limits
	capacity int
	now      func() time.Time

	mu   sync.Mutex
	keys map[string]*attemptRecord
}

type attemptRecord struct {
	failures    int
	inFlight    int
	windowStart time.Time
	lockedUntil time.Time
}

// NewLocalAttempts returns an in-process Attempts with the given bounds,
// tracking at most capacity keys (DefaultLocalCapacity when 0).
func NewLocalAttempts(limits Limits, capacity int) *LocalAttempts {
	if capacity <= 0 {
		capacity = DefaultLocalCapacity
	}
	return &LocalAttempts{limits: limits, capacity: capacity, now: time.Now, keys: make(map[string]*attemptRecord)}
}

// Reserve implements Attempts.
func (a *LocalAttempts) Reserve(_ context.Context, key string) (Reservation, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	// The clock is read with the lock held, here and below: a time taken
	// before waiting for the mutex can predate a lock another goroutine set
	// meanwhile, which would overstate Retry-After beyond failure_window.
	now := a.now()
	rec := a.track(key, now)
	if rec == nil {
		// Every tracked key is locked or busy: an attempt that cannot be
		// counted is not made.
		return nil, &LockedError{RetryAfter: busyRetry}
	}
	a.rollWindow(rec, now)
	if left := rec.lockedUntil.Sub(now); left > 0 {
		return nil, &LockedError{RetryAfter: left}
	}
	if rec.failures+rec.inFlight >= a.limits.Max {
		return nil, &LockedError{RetryAfter: busyRetry}
	}
	rec.inFlight++
	return &localReservation{attempts: a, key: key}, nil
}

// track returns key's record, making one when there is room; nil when the
// tracker is full of keys it must not forget. The caller holds a.mu.
func (a *LocalAttempts) track(key string, now time.Time) *attemptRecord {
	if rec := a.keys[key]; rec != nil {
		return rec
	}
	if len(a.keys) >= a.capacity && !a.evictOne(now) {
		return nil
	}
	rec := &attemptRecord{windowStart: now}
	a.keys[key] = rec
	return rec
}

// rollWindow starts a new counting window once the old one has passed.
func (a *LocalAttempts) rollWindow(rec *attemptRecord, now time.Time) {
	if now.Sub(rec.windowStart) > a.limits.Window {
		rec.failures, rec.windowStart = 0, now
	}
}

// LockedFor implements Attempts.
func (a *LocalAttempts) LockedFor(_ context.Context, key string) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	if rec := a.keys[key]; rec != nil {
		return max(rec.lockedUntil.Sub(a.now()), 0)
	}
	return 0
}

// Lock implements Attempts.
func (a *LocalAttempts) Lock(_ context.Context, key string, d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	rec := a.track(key, now)
	if rec == nil {
		return
	}
	if until := now.Add(d); until.After(rec.lockedUntil) {
		rec.lockedUntil = until
	}
}

// settle ends one reservation of key.
func (a *LocalAttempts) settle(key string, failed, succeeded bool) (locked bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	rec := a.keys[key]
	if rec == nil {
		return false // cannot happen: keys with attempts in flight are never evicted
	}
	rec.inFlight--
	a.rollWindow(rec, now)
	switch {
	case failed:
		rec.failures++
		if rec.failures >= a.limits.Max && !rec.lockedUntil.After(now) {
			rec.lockedUntil = now.Add(a.limits.Window)
			locked = true
		}
	case succeeded:
		rec.failures, rec.lockedUntil = 0, time.Time{}
	}
	if rec.inFlight == 0 && rec.failures == 0 && !rec.lockedUntil.After(now) {
		delete(a.keys, key)
	}
	return locked
}

// evictOne frees a slot. It returns false when nothing sampled may go.
func (a *LocalAttempts) evictOne(now time.Time) bool {
	var victim string
	best := -1
	seen := 0
	for key, rec := range a.keys {
		if rec.inFlight > 0 || rec.lockedUntil.After(now) {
			continue
		}
		if now.Sub(rec.windowStart) > a.limits.Window {
			delete(a.keys, key)
			return true
		}
		if best < 0 || rec.failures < best {
			victim, best = key, rec.failures
		}
		if seen++; seen >= evictionSample {
			break
		}
	}
	if best < 0 {
		return false
	}
	delete(a.keys, victim)
	return true
}

// size reports how many keys are tracked.
func (a *LocalAttempts) size() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.keys)
}

// localReservation settles once; later calls do nothing.
type localReservation struct {
	attempts *LocalAttempts
	key      string
	done     atomic.Bool
}

func (r *localReservation) Failed(context.Context) bool {
	return r.done.CompareAndSwap(false, true) && r.attempts.settle(r.key, true, false)
}

func (r *localReservation) Succeeded(context.Context) {
	if r.done.CompareAndSwap(false, true) {
		r.attempts.settle(r.key, false, true)
	}
}

func (r *localReservation) Cancel(context.Context) {
	if r.done.CompareAndSwap(false, true) {
		r.attempts.settle(r.key, false, false)
	}
}
