package directory

import (
	"sync"
	"time"
)

// Backoff for a server that failed: the first retry after minBackoff, then
// doubling up to maxBackoff. While a server is backing off, requests go to
// the next server instead of paying its timeout again.
const (
	minBackoff = time.Second
	maxBackoff = 30 * time.Second
)

// endpoint is one configured server with its two connection pools and its
// health as seen by this process.
type endpoint struct {
	srv     Server
	service *pool // connections bound as the service account (searches)
	user    *pool // connections used for user binds

	mu        sync.Mutex
	down      bool
	downUntil time.Time
	backoff   time.Duration
	probing   bool // one request is checking whether the server is back
	now       func() time.Time
}

// attempt is one server a request may try; probe marks a server that is
// down and is being checked by this request.
type attempt struct {
	ep    *endpoint
	probe bool
}

// plan is the servers one request tries, in order. Every probe claim it
// holds is released by settle or release, exactly once, whatever happens
// in between (a panic included: release runs from a defer).
type plan struct {
	attempts []attempt
	settled  []bool
}

// pickEndpoints returns the servers to try for one request: healthy servers
// in configuration order, plus at most one probe for each server whose
// backoff has expired. When every server is backing off, the first one not
// already being probed is tried anyway, so the first request after an
// outage ends reaches the directory instead of failing for the rest of the
// backoff; concurrent requests then fail fast instead of piling up behind
// a dead server.
func pickEndpoints(eps []*endpoint) *plan {
	p := &plan{attempts: make([]attempt, 0, len(eps))}
	for _, ep := range eps {
		if ok, probe := ep.claim(false); ok {
			p.attempts = append(p.attempts, attempt{ep, probe})
		}
	}
	if len(p.attempts) == 0 {
		for _, ep := range eps {
			if ok, probe := ep.claim(true); ok {
				p.attempts = append(p.attempts, attempt{ep, probe})
				break
			}
		}
	}
	p.settled = make([]bool, len(p.attempts))
	return p
}

// up records that attempt i's server answered (with any LDAP result).
func (p *plan) up(i int) (wasDown bool) {
	p.settled[i] = true
	return p.attempts[i].ep.markUp()
}

// down records that attempt i's server could not be reached in time.
func (p *plan) down(i int) (retryIn time.Duration) {
	p.settled[i] = true
	return p.attempts[i].ep.markDown(p.attempts[i].probe)
}

// release gives up every probe claim not settled, without a verdict.
func (p *plan) release() {
	for i, a := range p.attempts {
		if !p.settled[i] && a.probe {
			a.ep.releaseProbe()
		}
		p.settled[i] = true
	}
}

// claim reports whether the request may use ep, and whether as a probe. A
// down server is claimed as a probe by one request at a time.
func (ep *endpoint) claim(ignoreBackoff bool) (ok, probe bool) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if !ep.down {
		return true, false
	}
	if ep.probing || (!ignoreBackoff && ep.now().Before(ep.downUntil)) {
		return false, false
	}
	ep.probing = true
	return true, true
}

// markUp records that the server answered.
func (ep *endpoint) markUp() (wasDown bool) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	wasDown = ep.down
	ep.down, ep.probing, ep.backoff = false, false, 0
	if wasDown {
		serverDown(ep.srv, -1)
	}
	return wasDown
}

// markDown records that the server could not be reached in time. Only a
// failed probe lengthens the backoff: requests that were already in flight
// when the server died must not multiply it. Idle connections are dropped
// after the lock is released.
func (ep *endpoint) markDown(probe bool) (retryIn time.Duration) {
	ep.mu.Lock()
	switch {
	case !ep.down:
		ep.backoff = minBackoff
		serverDown(ep.srv, 1)
	case probe:
		ep.backoff = min(ep.backoff*2, maxBackoff)
		ep.probing = false
	default:
		retryIn = ep.downUntil.Sub(ep.now())
		ep.mu.Unlock()
		return retryIn
	}
	ep.down = true
	ep.downUntil = ep.now().Add(ep.backoff)
	retryIn = ep.backoff
	ep.mu.Unlock()
	// Connections to a server that stopped answering are all suspect.
	ep.service.dropIdle()
	ep.user.dropIdle()
	return retryIn
}

// releaseProbe gives up a probe claim without a verdict (the request ran
// out of time, or failed for a reason that says nothing about the server).
func (ep *endpoint) releaseProbe() {
	ep.mu.Lock()
	ep.probing = false
	ep.mu.Unlock()
}

func (ep *endpoint) close() {
	ep.mu.Lock()
	if ep.down {
		// A closed directory routes nothing: it no longer counts as down.
		ep.down = false
		serverDown(ep.srv, -1)
	}
	ep.mu.Unlock()
	ep.service.close()
	ep.user.close()
}
