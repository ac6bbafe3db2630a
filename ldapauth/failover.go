package ldapauth

import (
	"sync"
	"time"
)

// Backoff for a server that failed: the first retry after minBackoff, then
// doubling up to maxBackoff. While a server is backing off, requests go to
// the next server in "urls" instead of paying its timeout again.
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

// pickEndpoints returns the servers to try for one request, in order:
// healthy servers in configuration order, plus at most one "probe" for each
// server whose backoff has expired. When every server is backing off, the
// first one not already being probed is tried anyway, so the first request
// after an outage ends reaches the directory instead of failing for the rest
// of the backoff; concurrent requests then fail fast instead of piling up
// behind a dead server.
func pickEndpoints(eps []*endpoint) []attempt {
	out := make([]attempt, 0, len(eps))
	for _, ep := range eps {
		if ok, probe := ep.claim(false); ok {
			out = append(out, attempt{ep, probe})
		}
	}
	if len(out) == 0 {
		for _, ep := range eps {
			if ok, probe := ep.claim(true); ok {
				return append(out, attempt{ep, probe})
			}
		}
	}
	return out
}

// attempt is one server a request may try; probe marks a server that is
// down and is being checked by this request.
type attempt struct {
	ep    *endpoint
	probe bool
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

// markUp records that the server answered (with any LDAP result).
func (ep *endpoint) markUp() (wasDown bool) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	wasDown = ep.down
	ep.down, ep.probing, ep.backoff = false, false, 0
	return wasDown
}

// markDown records that the server could not be reached in time. Only a
// failed probe lengthens the backoff: requests that were already in flight
// when the server died must not multiply it.
func (ep *endpoint) markDown(probe bool) (retryIn time.Duration) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	switch {
	case !ep.down:
		ep.backoff = minBackoff
	case probe:
		ep.backoff = min(ep.backoff*2, maxBackoff)
		ep.probing = false
	default:
		return time.Until(ep.downUntil)
	}
	ep.down = true
	ep.downUntil = ep.now().Add(ep.backoff)
	// Connections to a server that stopped answering are all suspect.
	ep.service.dropIdle()
	ep.user.dropIdle()
	return ep.backoff
}

// release gives up a probe claim without a verdict (the request ran out of
// time before it learnt anything about this server).
func (ep *endpoint) release() {
	ep.mu.Lock()
	ep.probing = false
	ep.mu.Unlock()
}

func (ep *endpoint) close() {
	ep.service.close()
	ep.user.close()
}
