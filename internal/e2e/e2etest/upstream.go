package e2etest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// UpstreamMarker is set on every upstream response, so a test can tell a
// proxied answer from one written by the plugin or the gateway.
const UpstreamMarker = "X-E2e-Upstream"

// Seen is what reached the upstream; it is echoed back as JSON.
type Seen struct {
	Path   string      `json:"path"`
	Header http.Header `json:"header"`
}

// Upstream is the APIs' target: it echoes the path and headers it got.
type Upstream struct {
	*httptest.Server
	mu   sync.Mutex
	hits int
}

// NewUpstream starts an upstream, closed in t.Cleanup.
func NewUpstream(t testing.TB) *Upstream {
	u := &Upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.hits++
		u.mu.Unlock()
		b, _ := json.Marshal(Seen{Path: r.URL.Path, Header: r.Header})
		w.Header().Set(UpstreamMarker, "1")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}))
	t.Cleanup(u.Close)
	return u
}

// Count is how many requests reached the upstream.
func (u *Upstream) Count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.hits
}
