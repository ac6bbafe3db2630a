package state

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// Memory and time bounds of LocalAttempts.
//
// A tracker holds at most its capacity of keys (about 200 bytes each plus
// the key). Every method does a constant amount of work under the lock of
// one shard: no method scans the tracker. When a shard is full, room is
// made in this order, looking only at the least recently used end of its
// lists:
//
//  1. a key with nothing left to remember (its failures aged out of the
//     window, no lock, nothing in flight);
//  2. among the evictionSample least recently used unlocked keys, the one
//     with the fewest failures: a flood of made-up usernames (one failure
//     each) does not push out an account that has several;
//  3. the oldest lock: locks are kept longest, but a tracker full of locks
//     must not refuse every other account. Pushing a real lock out takes
//     a capacity's worth of newer locks, each costing max_failures wrong
//     binds.
//
// Keys with attempts in flight are never forgotten; their settlement must
// find them.
const (
	DefaultLocalCapacity = 100_000
	evictionSample       = 8
	// busyRetry is the Retry-After for a key whose budget is taken by
	// attempts still in flight: they settle within one bind timeout.
	busyRetry = time.Second
	// maxFailureRuns bounds the failure times kept per key. Beyond it the
	// two oldest are merged into one that ages out with the later of them,
	// which can only keep failures counted longer, never shorter.
	maxFailureRuns = 16
	// shardCapacity is the smallest capacity worth its own shard.
	shardCapacity = 1024
	maxShards     = 64
)

// LocalAttempts counts attempts in this process, in a sliding window: an
// attempt is allowed while the failures of the last Window plus the
// attempts in flight stay below Max, so no Window-long interval sees more
// than Max wrong passwords. Reaching Max locks the key for a whole Window,
// as Redis mode does. It is safe for concurrent use.
type LocalAttempts struct {
	limits atomic.Pointer[Limits]
	now    func() time.Time
	seed   maphash.Seed
	shards []localShard
}

// localShard is one lock's worth of keys. Its records sit on one of two
// lists, most recently used first: counting (not locked when last
// touched) and locked (ordered by when their lock was set).
type localShard struct {
	mu       sync.Mutex
	capacity int
	keys     map[string]*attemptRecord
	counting recordList
	locked   recordList
}

type attemptRecord struct {
	key         string
	failures    []failureRun // oldest first
	inFlight    int
	lockedUntil time.Time

	list       *recordList
	prev, next *attemptRecord
}

// failureRun is n failures that age out together, at + Window.
type failureRun struct {
	at time.Time
	n  int
}

// NewLocalAttempts returns an in-process Attempts with the given bounds,
// tracking at most capacity keys (DefaultLocalCapacity when 0).
func NewLocalAttempts(limits Limits, capacity int) *LocalAttempts {
	if capacity <= 0 {
		capacity = DefaultLocalCapacity
	}
	n := 1
	for n < maxShards && capacity/(n*2) >= shardCapacity {
		n *= 2
	}
	a := &LocalAttempts{now: time.Now, seed: maphash.MakeSeed(), shards: make([]localShard, n)}
	for i := range a.shards {
		a.shards[i] = localShard{capacity: (capacity + n - 1) / n, keys: make(map[string]*attemptRecord)}
	}
	a.SetLimits(limits)
	return a
}

// SetLimits changes the bounds for every key, from the next call on.
func (a *LocalAttempts) SetLimits(l Limits) { a.limits.Store(&l) }

// Limits returns the bounds in force.
func (a *LocalAttempts) Limits() Limits { return *a.limits.Load() }

func (a *LocalAttempts) shard(key string) *localShard {
	if len(a.shards) == 1 {
		return &a.shards[0]
	}
	return &a.shards[maphash.String(a.seed, key)&uint64(len(a.shards)-1)]
}

// Reserve implements Attempts.
func (a *LocalAttempts) Reserve(_ context.Context, key string) (Reservation, error) {
	s := a.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	// The clock is read with the lock held, here and below: a time taken
	// before waiting for the mutex can predate a lock another goroutine set
	// meanwhile, which would overstate Retry-After beyond failure_window.
	now := a.now()
	lim := a.Limits()
	rec := s.track(key, now, lim.Window)
	if rec == nil {
		// Every key this shard could forget has attempts in flight: an
		// attempt that cannot be counted is not made.
		return nil, &LockedError{RetryAfter: busyRetry}
	}
	if left := rec.lockedUntil.Sub(now); left > 0 {
		return nil, &LockedError{RetryAfter: left}
	}
	if failures := rec.prune(now, lim.Window); failures+rec.inFlight >= lim.Max {
		retry := busyRetry
		if failures > 0 {
			retry = rec.failures[0].at.Add(lim.Window).Sub(now)
		}
		s.forgetIfIdle(rec, now)
		return nil, &LockedError{RetryAfter: retry}
	}
	rec.inFlight++
	s.touch(rec, now)
	return &localReservation{attempts: a, key: key}, nil
}

// LockedFor implements Attempts.
func (a *LocalAttempts) LockedFor(_ context.Context, key string) time.Duration {
	s := a.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec := s.keys[key]; rec != nil {
		return max(rec.lockedUntil.Sub(a.now()), 0)
	}
	return 0
}

// Lock implements Attempts.
func (a *LocalAttempts) Lock(_ context.Context, key string, d time.Duration) {
	s := a.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := a.now()
	rec := s.track(key, now, a.Limits().Window)
	if rec == nil {
		return
	}
	if until := now.Add(d); until.After(rec.lockedUntil) {
		rec.lockedUntil = until
		s.touch(rec, now)
	}
}

// settle ends one reservation of key.
func (a *LocalAttempts) settle(key string, failed, succeeded bool) (locked bool) {
	s := a.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := a.now()
	lim := a.Limits()
	rec := s.keys[key]
	if rec == nil {
		return false // cannot happen: keys with attempts in flight are never evicted
	}
	rec.inFlight--
	switch {
	case failed:
		rec.addFailure(now)
		if rec.prune(now, lim.Window) >= lim.Max && !rec.lockedUntil.After(now) {
			rec.lockedUntil = now.Add(lim.Window)
			locked = true
			s.touch(rec, now)
		}
	case succeeded:
		// A lock set meanwhile by another attempt stays, as in Redis mode.
		rec.failures = nil
	}
	s.forgetIfIdle(rec, now)
	return locked
}

// size reports how many keys are tracked.
func (a *LocalAttempts) size() int {
	n := 0
	for i := range a.shards {
		s := &a.shards[i]
		s.mu.Lock()
		n += len(s.keys)
		s.mu.Unlock()
	}
	return n
}

// track returns key's record, making one when there is room; nil when the
// shard is full of keys it must not forget. The caller holds s.mu.
func (s *localShard) track(key string, now time.Time, window time.Duration) *attemptRecord {
	if rec := s.keys[key]; rec != nil {
		return rec
	}
	if len(s.keys) >= s.capacity && !s.evictOne(now, window) {
		return nil
	}
	rec := &attemptRecord{key: key}
	s.keys[key] = rec
	s.counting.pushFront(rec)
	return rec
}

// touch moves rec to the front of the list its state belongs on.
func (s *localShard) touch(rec *attemptRecord, now time.Time) {
	rec.list.remove(rec)
	if rec.lockedUntil.After(now) {
		s.locked.pushFront(rec)
	} else {
		s.counting.pushFront(rec)
	}
}

func (s *localShard) forget(rec *attemptRecord) {
	rec.list.remove(rec)
	delete(s.keys, rec.key)
}

func (s *localShard) forgetIfIdle(rec *attemptRecord, now time.Time) {
	if rec.inFlight == 0 && len(rec.failures) == 0 && !rec.lockedUntil.After(now) {
		s.forget(rec)
	}
}

// evictOne frees a slot in the order the package documents; it looks at
// no more than a few records at the end of each list.
func (s *localShard) evictOne(now time.Time, window time.Duration) bool {
	for _, l := range []*recordList{&s.locked, &s.counting} {
		for rec, i := l.back, 0; rec != nil && i < evictionSample; rec, i = rec.prev, i+1 {
			if rec.inFlight == 0 && !rec.lockedUntil.After(now) && rec.prune(now, window) == 0 {
				s.forget(rec)
				return true
			}
		}
	}
	var victim *attemptRecord
	for rec, i := s.counting.back, 0; rec != nil && i < evictionSample; rec, i = rec.prev, i+1 {
		if rec.inFlight == 0 && !rec.lockedUntil.After(now) && (victim == nil || rec.count() < victim.count()) {
			victim = rec
		}
	}
	for rec, i := s.locked.back, 0; victim == nil && rec != nil && i < evictionSample; rec, i = rec.prev, i+1 {
		if rec.inFlight == 0 {
			victim = rec
		}
	}
	if victim == nil {
		return false
	}
	s.forget(victim)
	return true
}

// prune drops the failures that aged out of the window and returns how
// many remain.
func (r *attemptRecord) prune(now time.Time, window time.Duration) int {
	i := 0
	for i < len(r.failures) && !r.failures[i].at.Add(window).After(now) {
		i++
	}
	if i > 0 {
		r.failures = append(r.failures[:0], r.failures[i:]...)
	}
	return r.count()
}

func (r *attemptRecord) count() int {
	n := 0
	for _, f := range r.failures {
		n += f.n
	}
	return n
}

func (r *attemptRecord) addFailure(now time.Time) {
	if len(r.failures) == maxFailureRuns {
		r.failures[1].n += r.failures[0].n
		r.failures = append(r.failures[:0], r.failures[1:]...)
	}
	r.failures = append(r.failures, failureRun{at: now, n: 1})
}

// recordList is an intrusive doubly linked list: front is the most
// recently used.
type recordList struct {
	front, back *attemptRecord
}

func (l *recordList) pushFront(r *attemptRecord) {
	r.list, r.prev, r.next = l, nil, l.front
	if l.front != nil {
		l.front.prev = r
	} else {
		l.back = r
	}
	l.front = r
}

// remove unlinks r from l (a nil l, or r on no list, does nothing).
func (l *recordList) remove(r *attemptRecord) {
	if l == nil || r.list != l {
		return
	}
	if r.prev != nil {
		r.prev.next = r.next
	} else {
		l.front = r.next
	}
	if r.next != nil {
		r.next.prev = r.prev
	} else {
		l.back = r.prev
	}
	r.list, r.prev, r.next = nil, nil, nil
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
