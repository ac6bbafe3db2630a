package tykhost

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/log"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost/plugintest"
)

func TestMain(m *testing.M) {
	// The host logs through the gateway logger like Tyk; keep test output
	// readable (set TYK_LOGLEVEL=debug and drop this to see it).
	log.Get().SetOutput(io.Discard)
	os.Exit(m.Run())
}

// testPlugin returns the test plugin built with this binary's settings.
func testPlugin(t *testing.T) string {
	t.Helper()
	return plugintest.BuildPlugin(t, "testdata/testplugin")
}

// upstream records what reaches the API's target.
type upstream struct {
	*httptest.Server
	mu   sync.Mutex
	hits []*http.Request
	body []string
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.hits = append(u.hits, r.Clone(r.Context()))
		u.body = append(u.body, string(b))
		u.mu.Unlock()
		w.Header().Set("X-Upstream", "yes")
		_, _ = io.WriteString(w, "upstream ok")
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.hits)
}

func (u *upstream) last() (*http.Request, string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.hits) == 0 {
		return nil, ""
	}
	return u.hits[len(u.hits)-1], u.body[len(u.body)-1]
}

// pluginAPI is a classic API set up exactly as Tyk needs for custom Go auth.
func pluginAPI(id, listen, target, soPath string) *apidef.APIDefinition {
	d := &apidef.APIDefinition{
		Name:                    id,
		APIID:                   id,
		OrgID:                   "default",
		Active:                  true,
		UseKeylessAccess:        false,
		CustomPluginAuthEnabled: true,
		StripAuthData:           true,
		ConfigData:              map[string]interface{}{"greeting": "hello " + id},
	}
	d.VersionData.NotVersioned = true
	d.VersionData.DefaultVersion = "Default"
	d.VersionData.Versions = map[string]apidef.VersionInfo{"Default": {Name: "Default"}}
	d.Proxy.ListenPath = listen
	d.Proxy.TargetURL = target
	d.Proxy.StripListenPath = true
	d.CustomMiddleware.Driver = apidef.GoPluginDriver
	d.CustomMiddleware.AuthCheck = apidef.MiddlewareDefinition{Name: "AuthCheck", Path: soPath}
	return d
}

// tokenAPI is a classic API protected by Tyk's standard token auth. Like
// every classic API it needs version_data: without it Tyk's VersionCheck
// answers 403 "Version information not found".
func tokenAPI(id, listen, target string) *apidef.APIDefinition {
	d := &apidef.APIDefinition{Name: id, APIID: id, OrgID: "default", Active: true}
	d.VersionData.NotVersioned = true
	d.VersionData.DefaultVersion = "Default"
	d.VersionData.Versions = map[string]apidef.VersionInfo{"Default": {Name: "Default"}}
	d.Proxy.ListenPath = listen
	d.Proxy.TargetURL = target
	d.Proxy.StripListenPath = true
	return d
}

// startHost loads apis into a new host and serves it over HTTP.
func startHost(t *testing.T, opts Options, apis APIs) (*Host, *httptest.Server) {
	t.Helper()
	h := New(opts)
	if err := h.Load(apis); err != nil {
		t.Fatalf("Load: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, srv
}

type reply struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, srv *httptest.Server, method, path string, headers map[string]string, body string) reply {
	t.Helper()
	got, err := doE(srv, method, path, headers, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return got
}

// doE is do for goroutines, which must not call t.Fatal.
func doE(srv *httptest.Server, method, path string, headers map[string]string, body string) (reply, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		return reply{}, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b)}, err
}

// tykError is the body Tyk's default error template produces.
func tykError(msg string) string {
	return "{\n    \"error\": \"" + msg + "\"\n}"
}

func lastRecord(t *testing.T, h *Host) Record {
	t.Helper()
	recs := h.Analytics()
	if len(recs) == 0 {
		t.Fatal("no analytics record")
	}
	return recs[len(recs)-1]
}
