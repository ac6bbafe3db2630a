package e2etest

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost/plugintest"
)

// Gateway is one test's gateway: the real plugin loaded by a contract host
// served over HTTP, and an upstream that echoes what reached it.
type Gateway struct {
	T        testing.TB
	Plugin   string // path of the built .so
	Host     *tykhost.Host
	Server   *httptest.Server
	Upstream *Upstream
}

// NewGateway builds the plugin package in pluginDir (once per test
// process, with the test binary's build settings, so it can be opened) and
// starts a host with the gateway options opts. The host publishes them
// process-wide through config.Global, so tests using a Gateway do not run
// in parallel.
func NewGateway(t testing.TB, pluginDir string, opts tykhost.Options) *Gateway {
	t.Helper()
	g := &Gateway{T: t, Plugin: plugintest.BuildPlugin(t, pluginDir), Upstream: NewUpstream(t)}
	g.Host = tykhost.New(opts)
	g.Server = httptest.NewServer(g.Host)
	t.Cleanup(g.Server.Close)
	return g
}

// For returns a copy of g whose helpers report to t: a subtest must use
// its own t, because t.Fatal ends only the goroutine it is called from.
func (g *Gateway) For(t testing.TB) *Gateway {
	c := *g
	c.T = t
	return &c
}

// API builds an API using the plugin with config_data cfg (see API).
func (g *Gateway) API(f Flavour, id string, cfg map[string]any, opts ...APIOption) tykhost.APIs {
	g.T.Helper()
	return API(g.T, f, id, cfg, g.Plugin, g.Upstream.URL, opts...)
}

// Load replaces the host's APIs (see Load).
func (g *Gateway) Load(sets ...tykhost.APIs) {
	g.T.Helper()
	Load(g.T, g.Host, sets...)
}

// Do sends GET path with the given headers and fails the test on a
// transport error.
func (g *Gateway) Do(path string, header http.Header) Reply {
	g.T.Helper()
	r, err := g.DoE(path, header)
	if err != nil {
		g.T.Fatalf("GET %s: %v", path, err)
	}
	return r
}

// DoE is Do for goroutines, which must not call t.Fatal.
func (g *Gateway) DoE(path string, header http.Header) (Reply, error) {
	return Get(g.Server.Client(), g.Server.URL, path, header)
}

// As sends GET /<id>/ with Basic credentials.
func (g *Gateway) As(id, user, pass string) Reply {
	g.T.Helper()
	return g.Do("/"+id+"/", http.Header{"Authorization": {Basic(user, pass)}})
}

// Record sends one request through fn and returns its analytics record.
func (g *Gateway) Record(fn func() Reply) (Reply, tykhost.Record) {
	g.T.Helper()
	n := len(g.Host.Analytics())
	r := fn()
	recs := WaitRecords(g.T, g.Host, n+1)
	return r, recs[n]
}

// Request is one request of a burst.
type Request struct {
	Path   string
	Header http.Header
}

// Burst sends every request at the same moment: each goroutine waits for
// one shared start signal, so the requests reach the gateway together
// instead of in the order their goroutines were created. Replies come back
// in request order.
func (g *Gateway) Burst(reqs []Request) []Reply {
	g.T.Helper()
	replies := make([]Reply, len(reqs))
	errs := make([]error, len(reqs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, rq := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			replies[i], errs[i] = g.DoE(rq.Path, rq.Header)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			g.T.Fatalf("burst request %d (%s): %v", i, reqs[i].Path, err)
		}
	}
	return replies
}
