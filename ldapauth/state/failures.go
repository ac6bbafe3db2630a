// Package state holds what the plugin remembers between requests.
package state

import (
	"context"
	"time"
)

// Attempts bounds password attempts per account: an attempt is reserved
// before its bind reaches the directory and settled after it, so however
// many requests arrive at once, at most Max wrong-password binds per account
// reach the directory per Window.
type Attempts interface {
	// Reserve claims one attempt for key. It fails with *LockedError when
	// failures plus attempts in flight already reach the limit.
	Reserve(ctx context.Context, key string) (Reservation, error)
	// LockedFor reports how long key stays locked (0: not locked).
	LockedFor(ctx context.Context, key string) time.Duration
	// Lock locks key for d (the directory itself reported the account locked).
	Lock(ctx context.Context, key string, d time.Duration)
}

// Reservation is one claimed attempt. Exactly one of its methods must be
// called, once.
type Reservation interface {
	// Failed records a wrong password; it reports whether that locked the key.
	Failed(ctx context.Context) (locked bool)
	// Succeeded forgets the key's failures.
	Succeeded(ctx context.Context)
	// Cancel releases the attempt without counting it (the bind never got an
	// answer).
	Cancel(ctx context.Context)
}

// LockedError is returned by Reserve for a locked key.
type LockedError struct{ RetryAfter time.Duration }

func (e *LockedError) Error() string {
	return "too many failed attempts; retry after " + e.RetryAfter.String()
}

// Limits are the bounds an Attempts implementation enforces.
type Limits struct {
	Max    int           // failures (plus attempts in flight) that lock a key
	Window time.Duration // how long failures count, and how long a lock lasts
}
