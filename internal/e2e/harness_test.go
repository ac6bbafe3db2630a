package e2e

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/e2e/e2etest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
)

// env is one test's world: a slapd with the sample directory, the real
// plugin loaded by a contract host served over HTTP, and an upstream that
// echoes what reached it. The gateway side is e2etest's; env keeps its own
// fields because tests replace the host (useHost).
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
func newEnvWith(t *testing.T, opts tykhost.Options, ldapOpts ...slapdtest.Option) *env {
	t.Helper()
	ldap := slapdtest.StartT(t, ldapOpts...)
	g := e2etest.NewGateway(t, "../../plugin", opts)
	return &env{t: t, ldap: ldap, so: g.Plugin, host: g.Host, srv: g.Server, up: &upstream{g.Upstream}}
}

// gateway is env's gateway side as an e2etest.Gateway, for the helpers
// env shares with it. It is made on each call because tests replace the
// host (useHost).
func (e *env) gateway() *e2etest.Gateway {
	return &e2etest.Gateway{T: e.t, Plugin: e.so, Host: e.host, Server: e.srv, Upstream: e.up.Upstream}
}

// load replaces the host's APIs (see e2etest.Load).
func (e *env) load(sets ...tykhost.APIs) {
	e.t.Helper()
	e2etest.Load(e.t, e.host, sets...)
}

// Requests.

func basic(user, pass string) string { return e2etest.Basic(user, pass) }

// reply is what the client got, plus what the upstream saw when the request
// was proxied.
type reply struct {
	status int
	header http.Header
	body   string
	seen   *seenRequest // nil when the upstream did not answer
}

func replyFrom(r e2etest.Reply) reply {
	return reply{status: r.Status, header: r.Header, body: r.Body, seen: r.Seen}
}

func (r reply) export() e2etest.Reply {
	return e2etest.Reply{Status: r.status, Header: r.header, Body: r.body, Seen: r.seen}
}

// do sends a request with the given headers (several values of one header
// are sent as separate header lines).
func (e *env) do(path string, header http.Header) reply {
	e.t.Helper()
	return replyFrom(e.gateway().Do(path, header))
}

// doE is do for goroutines, which must not call t.Fatal.
func (e *env) doE(path string, header http.Header) (reply, error) {
	r, err := e.gateway().DoE(path, header)
	return replyFrom(r), err
}

// as sends GET /<id>/ with Basic credentials.
func (e *env) as(id, user, pass string) reply {
	e.t.Helper()
	return replyFrom(e.gateway().As(id, user, pass))
}

// records waits until the host has recorded n analytics records and
// returns them (see e2etest.WaitRecords).
func (e *env) records(n int) []tykhost.Record {
	e.t.Helper()
	return e2etest.WaitRecords(e.t, e.host, n)
}

// record sends one request through fn and returns its analytics record.
func (e *env) record(fn func() reply) (reply, tykhost.Record) {
	e.t.Helper()
	r, rec := e.gateway().Record(func() e2etest.Reply { return fn().export() })
	return replyFrom(r), rec
}

func (e *env) counts() slapdtest.Counts {
	e.t.Helper()
	c, err := e.ldap.Counters()
	if err != nil {
		e.t.Fatalf("Counters: %v", err)
	}
	return c
}
