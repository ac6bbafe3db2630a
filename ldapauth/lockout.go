package ldapauth

import (
	"sync"
	"time"
)

// maxTrackedUsers bounds the memory of failure tracking (about 100 bytes an
// entry). When full, the entry with the fewest failures among a sample is
// forgotten: a flood of random usernames (one failure each) cannot push out
// the account that is actually under attack.
const (
	maxTrackedUsers = 100_000
	evictionSample  = 64
)

// failureTracker counts wrong passwords per user so that a brute-force
// attempt through the gateway stops before it locks the account in the
// directory (Active Directory locks accounts after a few failures, which
// would turn a password-guessing attack into a denial of service).
type failureTracker struct {
	max      int
	window   time.Duration
	capacity int
	now      func() time.Time

	mu    sync.Mutex
	users map[string]*failureRecord
}

type failureRecord struct {
	count       int
	first       time.Time // start of the counting window
	lockedUntil time.Time
}

func newFailureTracker(max int, window time.Duration) *failureTracker {
	return &failureTracker{max: max, window: window, capacity: maxTrackedUsers, now: time.Now,
		users: make(map[string]*failureRecord)}
}

// lockedFor returns how long key stays locked, or 0.
func (t *failureTracker) lockedFor(key string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	rec := t.users[key]
	if rec == nil {
		return 0
	}
	if left := rec.lockedUntil.Sub(t.now()); left > 0 {
		return left
	}
	return 0
}

// fail records a wrong password under every given key (the typed and the
// canonical username) and reports whether that locked the user.
func (t *failureTracker) fail(keys ...string) (locked bool) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, key := range keys {
		if key == "" || contains(keys[:i], key) {
			continue // typed and canonical names are often the same key
		}
		rec := t.users[key]
		if rec == nil {
			if len(t.users) >= t.capacity && !t.evictOne(now) {
				continue
			}
			rec = &failureRecord{first: now}
			t.users[key] = rec
		}
		if now.Sub(rec.first) > t.window {
			rec.count, rec.first = 0, now
		}
		rec.count++
		if rec.count >= t.max && !rec.lockedUntil.After(now) {
			rec.lockedUntil = now.Add(t.window)
			locked = true
		}
	}
	return locked
}

// lockAlias copies a lock from the canonical username to the typed one, so
// the next attempt with that spelling is refused before any directory call.
func (t *failureTracker) lockAlias(alias string, until time.Duration) {
	if alias == "" {
		return
	}
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	rec := t.users[alias]
	if rec == nil {
		if len(t.users) >= t.capacity && !t.evictOne(now) {
			return
		}
		rec = &failureRecord{first: now}
		t.users[alias] = rec
	}
	rec.count = t.max
	rec.lockedUntil = now.Add(until)
}

// succeed forgets the failures of a user who just proved their password.
func (t *failureTracker) succeed(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, key := range keys {
		delete(t.users, key)
	}
}

// evictOne frees a slot: expired records first, else the least-failed
// unlocked record in a sample. Returns false when everything sampled is
// locked; the new user then goes untracked rather than freeing a lock.
func (t *failureTracker) evictOne(now time.Time) bool {
	var victim string
	best := -1
	seen := 0
	for key, rec := range t.users {
		if now.Sub(rec.first) > t.window && !rec.lockedUntil.After(now) {
			delete(t.users, key)
			return true
		}
		if !rec.lockedUntil.After(now) && (best < 0 || rec.count < best) {
			victim, best = key, rec.count
		}
		if seen++; seen >= evictionSample {
			break
		}
	}
	if best < 0 {
		return false
	}
	delete(t.users, victim)
	return true
}

func (t *failureTracker) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.users)
}
