package ldapauth

import (
	"context"
	"sync"
)

// flightGroup merges concurrent identical checks: while one request asks
// the directory about a set of credentials, others with the same
// credentials wait for its answer instead of sending their own bind. A burst
// of N cold requests for one user therefore costs one bind, not N (and, for a
// wrong password, one failed attempt towards a lockout, not N).
type flightGroup struct {
	mu      sync.Mutex
	flights map[string]*flight
}

type flight struct {
	done   chan struct{}
	result decision
}

// do runs fn once per key at a time and gives every caller its result.
// Waiters stop waiting when their own ctx ends; the leader's work is bounded
// by the directory timeouts, so nobody waits forever.
func (g *flightGroup) do(ctx context.Context, key string, fn func() decision) (result decision, shared bool) {
	g.mu.Lock()
	if f, ok := g.flights[key]; ok {
		g.mu.Unlock()
		select {
		case <-f.done:
			return f.result, true
		case <-ctx.Done():
			return decision{outcome: OutcomeUnavailable, reason: "client went away while waiting for a directory answer"}, true
		}
	}
	if g.flights == nil {
		g.flights = make(map[string]*flight)
	}
	f := &flight{done: make(chan struct{})}
	g.flights[key] = f
	g.mu.Unlock()

	defer func() {
		// Even if fn panics, waiters must be released and the key freed;
		// the panic itself is handled at the plugin boundary.
		g.mu.Lock()
		delete(g.flights, key)
		g.mu.Unlock()
		close(f.done)
	}()
	f.result = decision{outcome: OutcomeMisconfigured, reason: "authentication did not complete"}
	f.result = fn()
	return f.result, false
}

// inFlight reports how many distinct checks are running (for tests).
func (g *flightGroup) inFlight() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.flights)
}
