package bench

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"plugin"
	"sync"
	"testing"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/config"
	"github.com/TykTechnologies/tyk/ctx"
	"github.com/TykTechnologies/tyk/log"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/redistest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost/plugintest"
)

func TestMain(m *testing.M) {
	log.Get().SetOutput(io.Discard)
	// As in a gateway with the default hash_keys: ctx.SetSession reads it.
	config.Global = func() config.Config { return config.Config{HashKeys: true} }
	code := m.Run()
	if ldapServer != nil {
		_ = ldapServer.Stop()
	}
	if redisServer != nil {
		_ = redisServer.Stop()
	}
	os.Exit(code)
}

var (
	ldapOnce   sync.Once
	ldapServer *slapdtest.Server
	ldapErr    error
)

// sharedLDAP starts one slapd (without the per-operation stats log, which
// would cost more than the binds being measured).
var (
	redisOnce   sync.Once
	redisServer *redistest.Server
	redisErr    error
)

// sharedRedis is one redis-server for the benchmarks that count failures
// in Redis; TestMain stops it.
func sharedRedis(tb testing.TB) *redistest.Server {
	tb.Helper()
	redisOnce.Do(func() { redisServer, redisErr = redistest.Start(redistest.Options{}) })
	if redisErr != nil {
		tb.Fatalf("cannot start redis-server: %v", redisErr)
	}
	return redisServer
}

func sharedLDAP(tb testing.TB) *slapdtest.Server {
	tb.Helper()
	ldapOnce.Do(func() {
		ldapServer, ldapErr = slapdtest.Start(slapdtest.Options{DisableStats: true})
		for i := 0; ldapErr == nil && i < benchUsers; i++ {
			_, ldapErr = ldapServer.AddUser(slapdtest.NewUser{UID: benchUID(i), Password: benchPassword(i)})
		}
	})
	if ldapErr != nil {
		tb.Fatalf("cannot start slapd: %v", ldapErr)
	}
	return ldapServer
}

// benchUsers distinct users let concurrent benchmark callers bind without
// sharing credentials (identical concurrent checks would be merged into one
// bind, which is not what the cold-path benchmark measures).
const benchUsers = 16

func benchUID(i int) string      { return fmt.Sprintf("bench%02d", i) }
func benchPassword(i int) string { return fmt.Sprintf("bench-pass-%02d", i) }

type handler = func(http.ResponseWriter, *http.Request)

// loadSymbol builds the package main at dir as a plugin with this binary's
// settings, opens it through Go's plugin runtime and returns the symbol as
// Tyk would (same type assertion).
func loadSymbol(tb testing.TB, dir, symbol string) handler {
	tb.Helper()
	so := plugintest.BuildPlugin(tb, dir)
	p, err := plugin.Open(so)
	if err != nil {
		tb.Fatalf("plugin.Open: %v", err)
	}
	sym, err := p.Lookup(symbol)
	if err != nil {
		tb.Fatalf("Lookup(%s): %v", symbol, err)
	}
	h, ok := sym.(func(http.ResponseWriter, *http.Request))
	if !ok {
		tb.Fatalf("%s has type %T", symbol, sym)
	}
	return h
}

func ldapAuth(tb testing.TB) handler { return loadSymbol(tb, "../../plugin", "LDAPAuth") }
func noopAuth(tb testing.TB) handler { return loadSymbol(tb, "testdata/noopauth", "NoopAuth") }

// api returns a classic API definition using the plugin with config.
func api(id string, config map[string]interface{}) *apidef.APIDefinition {
	d := &apidef.APIDefinition{APIID: id, OrgID: "default", Name: id, ConfigData: config, CustomPluginAuthEnabled: true}
	d.VersionData.NotVersioned = true
	return d
}

func authHeader(user, pass string) []string {
	return []string{"Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}
}

// reusableRequest is one request restored before every call the way a
// gateway would hand over a fresh one, without allocating: the plugin
// removes Authorization and SetSession replaces *r, so both are put back.
type reusableRequest struct {
	base http.Request
	r    http.Request
	auth []string
}

func newReusableRequest(def *apidef.APIDefinition, auth []string) *reusableRequest {
	r := httptest.NewRequest("GET", "/api/resource", nil)
	ctx.SetDefinition(r, def)
	return &reusableRequest{base: *r, auth: auth}
}

func (q *reusableRequest) next() *http.Request {
	q.r = q.base
	q.r.Header["Authorization"] = q.auth
	return &q.r
}

// discardWriter records only whether a response was written.
type discardWriter struct {
	h       http.Header
	written int
}

func newDiscardWriter() *discardWriter               { return &discardWriter{h: http.Header{}} }
func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { w.written++; return len(b), nil }
func (w *discardWriter) WriteHeader(int)             { w.written++ }
