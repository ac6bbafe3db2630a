package state

import (
	"context"
	"errors"
	"sync"
)

// ErrAbandoned is what waiters get when the check they waited for panicked.
var ErrAbandoned = errors.New("the merged check did not complete")

// Flight merges concurrent identical checks: while one caller runs fn for a
// key, others with the same key wait for its result instead of running
// their own. A burst of N cold requests with the same credentials therefore
// costs one directory check, not N.
type Flight[T any] struct {
	mu      sync.Mutex
	flights map[string]*flight[T]
	// joined, when set, is called each time a caller starts waiting for
	// another's check (tests use it to know a waiter exists).
	joined func(key string)
}

type flight[T any] struct {
	done   chan struct{}
	result T
	err    error
}

// Do runs fn once per key at a time and gives every caller its result;
// shared is true for callers that waited. A waiter stops waiting when its
// own ctx ends (err is then ctx.Err()); the leader's work is bounded by
// fn's own timeouts, so nobody waits forever. If fn panics, the waiters are
// released with ErrAbandoned and the panic continues in the leader.
func (g *Flight[T]) Do(ctx context.Context, key string, fn func() T) (result T, shared bool, err error) {
	g.mu.Lock()
	if f, ok := g.flights[key]; ok {
		g.mu.Unlock()
		if g.joined != nil {
			g.joined(key)
		}
		select {
		case <-f.done:
			return f.result, true, f.err
		case <-ctx.Done():
			return result, true, ctx.Err()
		}
	}
	if g.flights == nil {
		g.flights = make(map[string]*flight[T])
	}
	f := &flight[T]{done: make(chan struct{}), err: ErrAbandoned}
	g.flights[key] = f
	g.mu.Unlock()

	defer func() {
		g.mu.Lock()
		delete(g.flights, key)
		g.mu.Unlock()
		close(f.done)
	}()
	f.result = fn()
	f.err = nil
	return f.result, false, nil
}

// OnJoin sets a function called each time a caller starts waiting for
// another's check. Set it before the Flight is used.
func (g *Flight[T]) OnJoin(f func(key string)) { g.joined = f }

// inFlight reports how many distinct checks are running.
func (g *Flight[T]) inFlight() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.flights)
}
