package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// upstreamMarker is set on every upstream response, so a test can tell a
// proxied answer from one written by the plugin or the gateway.
const upstreamMarker = "X-E2e-Upstream"

// seenRequest is what reached the upstream; it is echoed back as JSON.
type seenRequest struct {
	Path   string      `json:"path"`
	Header http.Header `json:"header"`
}

// upstream is the APIs' target: it echoes the path and headers it got.
type upstream struct {
	*httptest.Server
	mu   sync.Mutex
	hits int
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.hits++
		u.mu.Unlock()
		b, _ := json.Marshal(seenRequest{Path: r.URL.Path, Header: r.Header})
		w.Header().Set(upstreamMarker, "1")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.hits
}
