package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost/plugintest"
)

// env is one test's world: a slapd with the sample directory, the real
// plugin loaded by a contract host served over HTTP, and an upstream that
// echoes what reached it.
type env struct {
	t    *testing.T
	ldap *slapdtest.Server
	so   string
	host *tykhost.Host
	srv  *httptest.Server
	up   *upstream
}

func newEnv(t *testing.T) *env { return newEnvWith(t, tykhost.Options{}) }

// newEnvWith is newEnv with gateway options (hash_keys and so on). The host
// publishes them process-wide through config.Global, which is one reason
// these tests do not run in parallel.
func newEnvWith(t *testing.T, opts tykhost.Options) *env {
	t.Helper()
	e := &env{t: t, ldap: slapdtest.StartT(t), so: plugintest.BuildPlugin(t, "../../plugin")}
	e.up = newUpstream(t)
	e.host = tykhost.New(opts)
	e.srv = httptest.NewServer(e.host)
	t.Cleanup(e.srv.Close)
	return e
}

// load replaces the host's APIs, as a gateway (re)load from files does:
// every definition is a new object.
func (e *env) load(sets ...tykhost.APIs) {
	e.t.Helper()
	var all tykhost.APIs
	for _, s := range sets {
		all.Classic = append(all.Classic, s.Classic...)
		all.OAS = append(all.OAS, s.OAS...)
	}
	if err := e.host.Load(all); err != nil {
		e.t.Fatalf("Load: %v", err)
	}
	// A plugin that fails to load leaves its API answering 500, which
	// would make every test below misleading: stop here instead.
	var ids []string
	for _, d := range all.Classic {
		if d.CustomPluginAuthEnabled {
			ids = append(ids, d.APIID)
		}
	}
	for _, o := range all.OAS {
		ids = append(ids, o.GetTykExtension().Info.ID) // decoded by Load already: read only
	}
	for _, id := range ids {
		if err := e.host.PluginError(id); err != nil {
			e.t.Fatalf("plugin did not load for %s: %v", id, err)
		}
	}
}

// Requests.

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// reply is what the client got, plus what the upstream saw when the request
// was proxied.
type reply struct {
	status int
	header http.Header
	body   string
	seen   *seenRequest // nil when the upstream did not answer
}

// do sends a request with the given headers (several values of one header
// are sent as separate header lines).
func (e *env) do(path string, header http.Header) reply {
	e.t.Helper()
	r, err := e.doE(path, header)
	if err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
	return r
}

// doE is do for goroutines, which must not call t.Fatal.
func (e *env) doE(path string, header http.Header) (reply, error) {
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	if err != nil {
		return reply{}, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	r := reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
	if resp.Header.Get(upstreamMarker) != "" {
		r.seen = &seenRequest{}
		if err := json.Unmarshal(b, r.seen); err != nil {
			return reply{}, fmt.Errorf("upstream body %q: %v", b, err)
		}
	}
	return r, nil
}

// as sends GET /<id>/<rest> with Basic credentials.
func (e *env) as(id, user, pass string) reply {
	e.t.Helper()
	return e.do("/"+id+"/", http.Header{"Authorization": {basic(user, pass)}})
}

// records waits until the host has recorded n analytics records and
// returns them. The host records a request after the response has been
// written, so a client can see the answer a moment before the record (and
// the session write that precedes it) exists.
func (e *env) records(n int) []tykhost.Record {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		recs := e.host.Analytics()
		if len(recs) >= n {
			return recs
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%d analytics records after 5s, want %d", len(recs), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// record sends one request through fn and returns its analytics record.
func (e *env) record(fn func() reply) (reply, tykhost.Record) {
	e.t.Helper()
	n := len(e.host.Analytics())
	r := fn()
	recs := e.records(n + 1)
	return r, recs[n]
}

func (e *env) counts() slapdtest.Counts {
	e.t.Helper()
	c, err := e.ldap.Counters()
	if err != nil {
		e.t.Fatalf("Counters: %v", err)
	}
	return c
}
