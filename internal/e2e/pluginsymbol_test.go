package e2e

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"plugin"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/ctx"
	"github.com/TykTechnologies/tyk/user"
)

// authSymbol returns the plugin's LDAPAuth from the .so the env's host
// loaded. plugin.Open of a path already open returns that same plugin, so
// this is the code, registry and gates the host's requests use.
func (e *env) authSymbol() func(http.ResponseWriter, *http.Request) {
	e.t.Helper()
	p, err := plugin.Open(e.so)
	if err != nil {
		e.t.Fatalf("plugin.Open(%s): %v", e.so, err)
	}
	sym, err := p.Lookup("LDAPAuth")
	if err != nil {
		e.t.Fatal(err)
	}
	fn, ok := sym.(func(http.ResponseWriter, *http.Request))
	if !ok {
		e.t.Fatalf("LDAPAuth is a %T, not func(http.ResponseWriter, *http.Request)", sym)
	}
	return fn
}

// pluginWriter records what the plugin wrote, like the writer Tyk wraps
// around the response (anything written ends the request).
type pluginWriter struct {
	header http.Header
	status int // 0: nothing written
	body   bytes.Buffer
}

func (w *pluginWriter) Header() http.Header { return w.header }

func (w *pluginWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *pluginWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.body.Write(b)
}

// directCall is the outcome of one call of the plugin symbol.
type directCall struct {
	w       *pluginWriter
	req     *http.Request // after the call: headers as the upstream would get them
	session *user.SessionState
}

// callWithDefinition calls fn the way the gateway's Go-plugin middleware
// does for a classic API (internal/tykhost's callPlugin): the definition
// object goes into the request context under ctx.Definition, then fn runs.
// config.Global, which ctx.SetSession reads, was set when the env's host
// was created.
func callWithDefinition(fn func(http.ResponseWriter, *http.Request), def *apidef.APIDefinition, header http.Header) directCall {
	r := httptest.NewRequest(http.MethodGet, def.Proxy.ListenPath, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	ctx.SetDefinition(r, def)
	w := &pluginWriter{header: http.Header{}}
	fn(w, r)
	return directCall{w: w, req: r, session: ctx.GetSession(r)}
}
