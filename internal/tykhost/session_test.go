package tykhost

import (
	"testing"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/user"
)

// TestSessionPersistence checks UpdateRequestSession: a session is written
// to the store only when modified (SetSession(..., true), or quota counting)
// and only once per change.
func TestSessionPersistence(t *testing.T) {
	so := testPlugin(t)
	up := newUpstream(t)
	api := pluginAPI("ldap", "/ldap/", up.URL, so)
	api.SessionLifetime = 600
	tests := []struct {
		name       string
		headers    map[string]string
		requests   int
		wantWrites int
	}{
		{name: "not scheduled: never written", headers: map[string]string{"X-Test-User": "a"}, requests: 3, wantWrites: 0},
		{name: "scheduled: written once per request", headers: map[string]string{"X-Test-User": "a", "X-Test-Schedule": "true"}, requests: 3, wantWrites: 3},
		{name: "quota counting touches the session", headers: map[string]string{"X-Test-User": "a", "X-Test-Quota": "100"}, requests: 2, wantWrites: 2},
		{name: "no KeyID: nothing to write", headers: map[string]string{"X-Test-Schedule": "true"}, requests: 2, wantWrites: 0},
		{name: "plugin refused: nothing written", headers: map[string]string{"X-Test-Mode": "deny", "X-Test-Schedule": "true"}, requests: 2, wantWrites: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, srv := startHost(t, Options{}, APIs{Classic: []*apidef.APIDefinition{api}})
			for i := 0; i < tc.requests; i++ {
				do(t, srv, "GET", "/ldap/", tc.headers, "")
			}
			if got := h.Sessions().Writes(); got != tc.wantWrites {
				t.Fatalf("store writes = %d, want %d", got, tc.wantWrites)
			}
			if tc.wantWrites == 0 {
				return
			}
			s, ok := h.Sessions().Get("test:a")
			if !ok || s.Alias != "a" || s.KeyID != "test:a" || s.OrgID != "default" {
				t.Fatalf("stored session %+v, %v", s, ok)
			}
			if ttl, _ := h.Sessions().Lifetime("test:a"); ttl != 600 {
				t.Fatalf("stored with lifetime %d, want the API's session_lifetime 600", ttl)
			}
		})
	}
}

// TestTokenAuthUsesStoredSessions proves what a persisted plugin session
// means on the same gateway: its KeyID works as an API key on every
// token-auth API unless its access rights name only the plugin's API.
func TestTokenAuthUsesStoredSessions(t *testing.T) {
	so := testPlugin(t)
	up := newUpstream(t)
	h, srv := startHost(t, Options{}, APIs{Classic: []*apidef.APIDefinition{
		pluginAPI("ldap", "/ldap/", up.URL, so),
		tokenAPI("tok", "/tok/", up.URL),
	}})
	h.Policies().Set(user.Policy{ID: "pol-ldap", OrgID: "default",
		AccessRights: map[string]user.AccessDefinition{"ldap": {APIID: "ldap"}}})

	login := func(user string, extra map[string]string) {
		t.Helper()
		headers := map[string]string{"X-Test-User": user, "X-Test-Schedule": "true"}
		for k, v := range extra {
			headers[k] = v
		}
		if got := do(t, srv, "GET", "/ldap/", headers, ""); got.status != 200 {
			t.Fatalf("login through plugin: %d %q", got.status, got.body)
		}
	}
	login("open", nil)
	login("scoped", map[string]string{"X-Test-ACL": "ldap"})
	login("viapolicy", map[string]string{"X-Test-Policies": "pol-ldap"})

	tests := []struct {
		name       string
		auth       string
		wantStatus int
		wantBody   string
	}{
		{name: "no key", auth: "", wantStatus: 401, wantBody: tykError(msgAuthMissing)},
		{name: "unknown key", auth: "test:nobody", wantStatus: 403, wantBody: tykError(msgAccessDenied)},
		{name: "session with no access rights opens every token API", auth: "test:open", wantStatus: 200, wantBody: "upstream ok"},
		{name: "bearer prefix is stripped", auth: "Bearer test:open", wantStatus: 200, wantBody: "upstream ok"},
		{name: "session scoped to the plugin API is refused", auth: "test:scoped", wantStatus: 403, wantBody: tykError(msgAccessDenied)},
		{name: "policy-scoped session is refused", auth: "test:viapolicy", wantStatus: 403, wantBody: tykError(msgAccessDenied)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			headers := map[string]string{}
			if tc.auth != "" {
				headers["Authorization"] = tc.auth
			}
			got := do(t, srv, "GET", "/tok/", headers, "")
			if got.status != tc.wantStatus || got.body != tc.wantBody {
				t.Fatalf("got %d %q, want %d %q", got.status, got.body, tc.wantStatus, tc.wantBody)
			}
			if rec := lastRecord(t, h); rec.APIID != "tok" || rec.Status != tc.wantStatus {
				t.Fatalf("record %+v", rec)
			}
		})
	}
}

func TestAuthCheckDisabledFallsBackToTokenAuth(t *testing.T) {
	so := testPlugin(t)
	up := newUpstream(t)
	tests := []struct {
		name string
		edit func(*apidef.APIDefinition)
	}{
		{"auth_check disabled", func(d *apidef.APIDefinition) { d.CustomMiddleware.AuthCheck.Disabled = true }},
		{"auth_check without name", func(d *apidef.APIDefinition) { d.CustomMiddleware.AuthCheck.Name = "" }},
		{"auth_check without path", func(d *apidef.APIDefinition) { d.CustomMiddleware.AuthCheck.Path = "" }},
		{"custom auth not enabled", func(d *apidef.APIDefinition) { d.CustomPluginAuthEnabled = false }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := pluginAPI("ldap", "/ldap/", up.URL, so)
			tc.edit(api)
			_, srv := startHost(t, Options{}, APIs{Classic: []*apidef.APIDefinition{api}})
			got := do(t, srv, "GET", "/ldap/", map[string]string{"X-Test-User": "alice"}, "")
			if got.status != 401 || got.body != tykError(msgAuthMissing) {
				t.Fatalf("got %d %q, want token auth's 401", got.status, got.body)
			}
		})
	}
}

func TestDeprecatedFlagsStillEnablePluginAuth(t *testing.T) {
	so := testPlugin(t)
	up := newUpstream(t)
	for _, name := range []string{"use_go_plugin_auth", "enable_coprocess_auth"} {
		t.Run(name, func(t *testing.T) {
			api := pluginAPI("ldap", "/ldap/", up.URL, so)
			api.CustomPluginAuthEnabled = false
			api.UseGoPluginAuth = name == "use_go_plugin_auth"
			api.EnableCoProcessAuth = name == "enable_coprocess_auth"
			_, srv := startHost(t, Options{}, APIs{Classic: []*apidef.APIDefinition{api}})
			if got := do(t, srv, "GET", "/ldap/", map[string]string{"X-Test-Mode": "deny"}, ""); got.status != 401 || got.body != "denied by plugin" {
				t.Fatalf("got %d %q, want the plugin's answer", got.status, got.body)
			}
		})
	}
}
