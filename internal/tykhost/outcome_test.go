package tykhost

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/apidef/oas"
	"github.com/TykTechnologies/tyk/user"
)

// TestPluginOutcomeRules covers what happens after the plugin returns, per
// gateway/mw_go_plugin.go and the post-auth middleware.
func TestPluginOutcomeRules(t *testing.T) {
	so := testPlugin(t)
	up := newUpstream(t)
	h, srv := startHost(t, Options{}, APIs{Classic: []*apidef.APIDefinition{pluginAPI("ldap", "/ldap/", up.URL, so)}})
	h.Policies().Set(
		user.Policy{ID: "pol-ldap", OrgID: "default", AccessRights: map[string]user.AccessDefinition{
			"ldap": {APIID: "ldap", Versions: []string{"Default"}}}},
		user.Policy{ID: "pol-other-org", OrgID: "other", AccessRights: map[string]user.AccessDefinition{
			"ldap": {APIID: "ldap"}}},
		user.Policy{ID: "pol-elsewhere", OrgID: "default", AccessRights: map[string]user.AccessDefinition{
			"elsewhere": {APIID: "elsewhere"}}},
		user.Policy{ID: "pol-empty", OrgID: "default"},
	)

	tests := []struct {
		name        string
		headers     map[string]string
		wantStatus  int
		wantBody    string // exact, unless wantContains
		wantHeader  [2]string
		wantProxied bool
		wantRecord  int // analytics status
		wantAlias   string
	}{
		{name: "session set: proxied", headers: map[string]string{"X-Test-User": "alice"},
			wantStatus: 200, wantBody: "upstream ok", wantProxied: true, wantRecord: 200, wantAlias: "alice"},
		{name: "plugin writes 401: client gets exactly it", headers: map[string]string{"X-Test-Mode": "deny"},
			wantStatus: 401, wantBody: "denied by plugin", wantHeader: [2]string{"WWW-Authenticate", `Basic realm="test"`}, wantRecord: 401},
		{name: "plugin writes 403: client gets exactly it", headers: map[string]string{"X-Test-Mode": "forbid"},
			wantStatus: 403, wantBody: "forbidden by plugin", wantRecord: 403},
		{name: "plugin writes 200: served, not proxied", headers: map[string]string{"X-Test-Mode": "serve"},
			wantStatus: 200, wantBody: "served by plugin", wantRecord: 200},
		{name: "plugin writes a body only: 200, not proxied", headers: map[string]string{"X-Test-Mode": "serve-implicit"},
			wantStatus: 200, wantBody: "implicit 200 from plugin", wantRecord: 200},
		{name: "nothing written, no session: 400", headers: map[string]string{"X-Test-Mode": "nosession"},
			wantStatus: 400, wantBody: tykError(msgSessionMissing), wantHeader: [2]string{"Content-Type", "application/json"}, wantRecord: 400},
		{name: "inactive session: 403", headers: map[string]string{"X-Test-User": "bob", "X-Test-Inactive": "true"},
			wantStatus: 403, wantBody: tykError(msgKeyInactive), wantRecord: 403, wantAlias: "bob"},
		{name: "expired session: 401", headers: map[string]string{"X-Test-User": "bob", "X-Test-Expires": "past"},
			wantStatus: 401, wantBody: tykError(msgKeyExpired), wantRecord: 401, wantAlias: "bob"},
		{name: "future expiry: proxied", headers: map[string]string{"X-Test-User": "bob", "X-Test-Expires": "future"},
			wantStatus: 200, wantBody: "upstream ok", wantProxied: true, wantRecord: 200, wantAlias: "bob"},
		{name: "access rights without this API: 403", headers: map[string]string{"X-Test-User": "carol", "X-Test-ACL": "other"},
			wantStatus: 403, wantBody: tykError(msgAccessDenied), wantRecord: 403, wantAlias: "carol"},
		{name: "access rights with this API: proxied", headers: map[string]string{"X-Test-User": "carol", "X-Test-ACL": "other,ldap"},
			wantStatus: 200, wantBody: "upstream ok", wantProxied: true, wantRecord: 200, wantAlias: "carol"},
		{name: "policy applied: proxied", headers: map[string]string{"X-Test-User": "dave", "X-Test-Policies": "pol-ldap"},
			wantStatus: 200, wantBody: "upstream ok", wantProxied: true, wantRecord: 200, wantAlias: "dave"},
		{name: "policy grants another API only: 403", headers: map[string]string{"X-Test-User": "dave", "X-Test-Policies": "pol-elsewhere"},
			wantStatus: 403, wantBody: tykError(msgAccessDenied), wantRecord: 403, wantAlias: "dave"},
		{name: "missing policy: nothing written, not proxied", headers: map[string]string{"X-Test-User": "dave", "X-Test-Policies": "nope"},
			wantStatus: 200, wantBody: "", wantRecord: 500, wantAlias: "dave"},
		{name: "policy of another org: nothing written", headers: map[string]string{"X-Test-User": "dave", "X-Test-Policies": "pol-other-org"},
			wantStatus: 200, wantBody: "", wantRecord: 500, wantAlias: "dave"},
		{name: "policy without access rights: nothing written", headers: map[string]string{"X-Test-User": "dave", "X-Test-Policies": "pol-empty"},
			wantStatus: 200, wantBody: "", wantRecord: 500, wantAlias: "dave"},
		{name: "session set, then 401 written, policy missing: the policy error is recorded", headers: map[string]string{"X-Test-Mode": "deny-after-session", "X-Test-User": "dave", "X-Test-Policies": "nope"},
			wantStatus: 401, wantBody: "denied by plugin", wantRecord: 500, wantAlias: "dave"},
		{name: "session set, then 401 written, policy fine: 401 recorded", headers: map[string]string{"X-Test-Mode": "deny-after-session", "X-Test-User": "dave", "X-Test-Policies": "pol-ldap"},
			wantStatus: 401, wantBody: "denied by plugin", wantRecord: 401, wantAlias: "dave"},
		{name: "plugin panics (5.8): nothing written, not proxied", headers: map[string]string{"X-Test-Mode": "panic"},
			wantStatus: 200, wantBody: "", wantRecord: 500},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := up.count()
			headers := map[string]string{"Authorization": "Basic YWxpY2U6c2VjcmV0"}
			for k, v := range tc.headers {
				headers[k] = v
			}
			got := do(t, srv, "GET", "/ldap/get?x=1", headers, "")
			if got.status != tc.wantStatus || got.body != tc.wantBody {
				t.Fatalf("got %d %q, want %d %q", got.status, got.body, tc.wantStatus, tc.wantBody)
			}
			if k := tc.wantHeader[0]; k != "" && got.header.Get(k) != tc.wantHeader[1] {
				t.Fatalf("header %s = %q, want %q", k, got.header.Get(k), tc.wantHeader[1])
			}
			if proxied := up.count() > before; proxied != tc.wantProxied {
				t.Fatalf("proxied = %v, want %v", proxied, tc.wantProxied)
			}
			rec := lastRecord(t, h)
			if rec.Status != tc.wantRecord || rec.Alias != tc.wantAlias || rec.APIID != "ldap" || rec.Proxied != tc.wantProxied {
				t.Fatalf("record %+v, want status %d alias %q proxied %v", rec, tc.wantRecord, tc.wantAlias, tc.wantProxied)
			}
			if tc.wantProxied {
				req, _ := up.last()
				if req.URL.Path != "/get" || req.URL.RawQuery != "x=1" {
					t.Fatalf("upstream got %s?%s, want the listen path stripped", req.URL.Path, req.URL.RawQuery)
				}
				if req.Header.Get("Authorization") != "" {
					t.Fatal("strip_auth_data must remove Authorization before proxying")
				}
				if got.header.Get("X-Seen-Def-Ptr") == "" {
					t.Fatal("headers the plugin set without writing must reach the client")
				}
			}
		})
	}
}

func TestPanicDropsConnectionFrom512(t *testing.T) {
	so := testPlugin(t)
	up := newUpstream(t)
	h, srv := startHost(t, Options{PanicMode: PanicDropConnection},
		APIs{Classic: []*apidef.APIDefinition{pluginAPI("ldap", "/ldap/", up.URL, so)}})
	req, _ := http.NewRequest("GET", srv.URL+"/ldap/", nil)
	req.Header.Set("X-Test-Mode", "panic")
	resp, err := srv.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got %d, want the connection dropped", resp.StatusCode)
	}
	if up.count() != 0 || len(h.Analytics()) != 0 {
		t.Fatalf("dropped request must not be proxied or recorded: %d hits, %v", up.count(), h.Analytics())
	}
	// The host keeps serving afterwards.
	if got := do(t, srv, "GET", "/ldap/", map[string]string{"X-Test-User": "alice"}, ""); got.status != 200 {
		t.Fatalf("after a dropped request got %d", got.status)
	}
}

func TestPluginMayReadTheBody(t *testing.T) {
	so := testPlugin(t)
	up := newUpstream(t)
	_, srv := startHost(t, Options{}, APIs{Classic: []*apidef.APIDefinition{pluginAPI("ldap", "/ldap/", up.URL, so)}})
	got := do(t, srv, "POST", "/ldap/post", map[string]string{"X-Test-User": "alice", "X-Test-Read-Body": "true"}, "payload-123")
	if got.status != 200 || got.header.Get("X-Seen-Body-Len") != "11" {
		t.Fatalf("got %d, plugin saw %q bytes", got.status, got.header.Get("X-Seen-Body-Len"))
	}
	if _, body := up.last(); body != "payload-123" {
		t.Fatalf("upstream got body %q after the plugin read it", body)
	}
}

func TestNotFoundOutsideListenPaths(t *testing.T) {
	up := newUpstream(t)
	_, srv := startHost(t, Options{}, APIs{Classic: []*apidef.APIDefinition{tokenAPI("tok", "/tok/", up.URL)}})
	if got := do(t, srv, "GET", "/other/", nil, ""); got.status != http.StatusNotFound {
		t.Fatalf("got %d, want 404", got.status)
	}
	if !strings.Contains(do(t, srv, "GET", "/tok/", nil, "").body, msgAuthMissing) {
		t.Fatal("listen path must route to the API")
	}
}

// TestConcurrentRequests runs classic, OAS and token traffic at once; with
// -race it checks the host and the stand-in share nothing unsafely.
func TestConcurrentRequests(t *testing.T) {
	so := testPlugin(t)
	up := newUpstream(t)
	h, srv := startHost(t, Options{}, APIs{
		Classic: []*apidef.APIDefinition{pluginAPI("ldap", "/ldap/", up.URL, so), tokenAPI("tok", "/tok/", up.URL)},
		OAS:     []*oas.OAS{oasAPI(t, "ldap-oas", "/ldap-oas/", up.URL, so)},
	})
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan string, workers*each*3)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			name := fmt.Sprintf("u%d", w)
			for i := 0; i < each; i++ {
				for _, p := range []string{"/ldap/", "/ldap-oas/"} {
					got, err := doE(srv, "GET", p, map[string]string{"X-Test-User": name, "X-Test-Schedule": "true", "X-Test-Quota": "1000"}, "")
					if err != nil || got.status != 200 {
						errs <- fmt.Sprintf("%s: %d %q %v", p, got.status, got.body, err)
					}
				}
				if got, err := doE(srv, "GET", "/tok/", map[string]string{"Authorization": "test:" + name}, ""); err != nil || got.status != 200 {
					errs <- fmt.Sprintf("/tok/: %d %q %v", got.status, got.body, err)
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := len(h.Analytics()); n != workers*each*3 {
		t.Fatalf("%d records, want %d", n, workers*each*3)
	}
}
