package tykhost

import (
	"sync"
	"time"
)

// Record is the host's analytics record for one request: enough to assert
// which API answered, with what status, for which user.
type Record struct {
	Time   time.Time
	APIID  string
	OrgID  string
	Method string
	Path   string
	// Status is what Tyk would record. It can differ from what the client
	// got: when the gateway writes nothing after an error (policy failure,
	// recovered plugin panic) the client sees an empty 200.
	Status int
	// Alias and KeyID come from the request's session, if any.
	Alias string
	KeyID string
	// Proxied reports whether the request reached the upstream.
	Proxied bool
	// Via lists, in order, the APIs that handed the request on to the
	// next one (tyk:// loops, version routing); APIID is the last one.
	// Tyk records no such list: it is the host's, for tests.
	Via []string
}

type analyticsLog struct {
	mu      sync.Mutex
	records []Record
}

func (a *analyticsLog) add(r Record) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.records = append(a.records, r)
}

func (a *analyticsLog) snapshot() []Record {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Record(nil), a.records...)
}

func (a *analyticsLog) reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.records = nil
}
