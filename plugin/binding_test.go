package main

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/apidef/oas"
	"github.com/TykTechnologies/tyk/config"
	"github.com/TykTechnologies/tyk/ctx"
	"github.com/TykTechnologies/tyk/user"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
)

func classicAPI(id string) *apidef.APIDefinition {
	return &apidef.APIDefinition{APIID: id, OrgID: "default", Name: "API " + id, ConfigData: map[string]any{"urls": "ldaps://x"}}
}

func oasAPI(id string, data *oas.PluginConfigData) *oas.OAS {
	o := &oas.OAS{}
	o.SetTykExtension(&oas.XTykAPIGateway{
		Info:       oas.Info{ID: id, OrgID: "default", Name: "API " + id},
		Middleware: &oas.Middleware{Global: &oas.Global{PluginConfig: &oas.PluginConfig{Data: data}}},
	})
	return o
}

// ourSession is the session LDAPAuth sets, granting one API.
func ourSession(apiID string) *user.SessionState {
	s := user.NewSessionState()
	s.KeyID = ldapauth.KeyIDPrefix + "0123456789"
	s.AccessRights = map[string]user.AccessDefinition{apiID: {APIID: apiID}}
	return s
}

// Which definition the plugin decides a request by, for every combination
// of what the request context holds in Tyk (one key per API kind; a
// tyk:// loop between a classic and an OAS API leaves both, plus the
// session of the API the request came from).
func TestAPIDefinitionSelection(t *testing.T) {
	c, o := classicAPI("classic-1"), oasAPI("oas-1", &oas.PluginConfigData{Enabled: true})
	foreign := user.NewSessionState()
	foreign.KeyID = "some-token"
	foreign.AccessRights = map[string]user.AccessDefinition{"classic-1": {APIID: "classic-1"}}
	// A policy applied after LDAPAuth may widen the session's access
	// rights to both APIs of the loop.
	widened := ourSession("classic-1")
	widened.AccessRights["oas-1"] = user.AccessDefinition{APIID: "oas-1"}
	tests := []struct {
		name          string
		classic       *apidef.APIDefinition
		oas           *oas.OAS
		session       *user.SessionState
		granted       any // noted by LDAPAuth on the previous API
		want          any
		wantAmbiguous bool
	}{
		{"classic only", c, nil, nil, nil, c, false},
		{"OAS only", nil, o, nil, nil, o, false},
		{"nothing", nil, nil, nil, nil, nil, false},
		{"loop classic into OAS", c, o, ourSession("classic-1"), c, o, false},
		{"loop OAS into classic", c, o, ourSession("oas-1"), o, c, false},
		{"loop classic into OAS, session naming both", c, o, widened, c, o, false},
		{"loop OAS into classic, session naming both", c, o, widened, o, c, false},
		{"loop noted for another definition object", c, o, ourSession("classic-1"), classicAPI("classic-1"), nil, true},
		{"loop classic into OAS, no note", c, o, ourSession("classic-1"), nil, o, false},
		{"loop OAS into classic, no note", c, o, ourSession("oas-1"), nil, c, false},
		{"loop without a note, session naming both", c, o, widened, nil, nil, true},
		{"loop with another API's session", c, o, ourSession("third-api"), nil, nil, true},
		{"loop after another kind of auth", c, o, foreign, nil, nil, true},
		{"loop without a session", c, o, nil, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			cx := r.Context()
			if tt.classic != nil {
				cx = context.WithValue(cx, ctx.Definition, tt.classic)
			}
			if tt.oas != nil {
				cx = context.WithValue(cx, ctx.OASDefinition, tt.oas)
			}
			if tt.session != nil {
				cx = context.WithValue(cx, ctx.SessionData, tt.session)
			}
			r = r.WithContext(cx)
			if tt.granted != nil {
				noteGranted(r, tt.granted)
			}
			got, ambiguous := apiDefinition(r)
			if got != tt.want || ambiguous != tt.wantAmbiguous {
				t.Fatalf("apiDefinition = %v (ambiguous %v), want %v (ambiguous %v)", got, ambiguous, tt.want, tt.wantAmbiguous)
			}
		})
	}
}

func TestAPISource(t *testing.T) {
	disabled := classicAPI("c-off")
	disabled.ConfigDataDisabled = true
	headerSource := classicAPI("c-header")
	headerSource.AuthConfigs = map[string]apidef.AuthConfig{"coprocess": {AuthHeaderName: "X-Token"}}
	authorization := classicAPI("c-authz")
	authorization.AuthConfigs = map[string]apidef.AuthConfig{"coprocess": {AuthHeaderName: "authorization"}, "authToken": {UseParam: true}}
	oasCookie := oasAPI("o-cookie", &oas.PluginConfigData{Enabled: true, Value: map[string]any{"urls": "ldaps://x"}})
	oasCookie.GetTykExtension().Server.Authentication = &oas.Authentication{Custom: &oas.CustomPluginAuthentication{
		AuthSources: oas.AuthSources{Cookie: &oas.AuthSource{Enabled: true, Name: "session"}}}}
	oasHeader := oasAPI("o-header", &oas.PluginConfigData{Enabled: true})
	oasHeader.GetTykExtension().Server.Authentication = &oas.Authentication{Custom: &oas.CustomPluginAuthentication{
		AuthSources: oas.AuthSources{Header: &oas.AuthSource{Enabled: true, Name: "Authorization"}}}}
	tests := []struct {
		name            string
		def             any
		wantID          string
		wantDisabled    string
		wantUnsupported string
		wantConfig      bool
	}{
		{"classic", classicAPI("c-1"), "c-1", "", "", true},
		{"classic disabled", disabled, "c-off", "config_data_disabled", "", true},
		{"classic custom header source", headerSource, "c-header", "", "auth_configs.coprocess", true},
		{"classic Authorization source", authorization, "c-authz", "", "", true},
		{"OAS", oasAPI("o-1", &oas.PluginConfigData{Enabled: true, Value: map[string]any{"urls": "ldaps://x"}}), "o-1", "", "", true},
		{"OAS without data", oasAPI("o-nil", nil), "o-nil", "middleware.global.pluginConfig.data", "", false},
		{"OAS data disabled", oasAPI("o-off", &oas.PluginConfigData{Enabled: false, Value: map[string]any{"urls": "x"}}), "o-off", "middleware.global.pluginConfig.data.enabled", "", false},
		{"OAS cookie source", oasCookie, "o-cookie", "", "server.authentication.custom", true},
		{"OAS Authorization header source", oasHeader, "o-header", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := apiSource(tt.def)
			if src.Info.ID != tt.wantID || src.DisabledBy != tt.wantDisabled || (src.Config != nil) != tt.wantConfig {
				t.Fatalf("source %+v; want id %q, disabled by %q, config %v", src, tt.wantID, tt.wantDisabled, tt.wantConfig)
			}
			gotUnsupported := ""
			if src.Unsupported != nil {
				gotUnsupported = src.Unsupported.Key
			}
			if gotUnsupported != tt.wantUnsupported {
				t.Fatalf("unsupported %q, want %q", gotUnsupported, tt.wantUnsupported)
			}
		})
	}
}

// fixedDirectory authenticates everyone as one identity.
type fixedDirectory struct{ id *directory.Identity }

func (f fixedDirectory) Authenticate(context.Context, string, string, directory.BindGuard) (*directory.Identity, error) {
	return f.id, nil
}
func (fixedDirectory) Close() {}

// The session handed to Tyk: this API only, the user as alias, the
// policies and metadata of the grant, and a lifetime and expiry.
func TestSetSessionFields(t *testing.T) {
	config.Global = func() config.Config { return config.Config{} }
	t.Cleanup(func() { config.Global = nil })
	cfg, err := ldapauth.ParseConfig(map[string]any{"urls": "ldaps://x", "search_base_dn": "dc=x", "policies": []any{"p1"}, "session_lifetime": "90s"})
	if err != nil {
		t.Fatal(err)
	}
	id := &directory.Identity{Username: "alice", DN: "uid=alice,dc=x", ID: "entryUUID:1"}
	gate, err := ldapauth.NewGate(ldapauth.APIInfo{ID: "api-1", OrgID: "org-1", Name: "One", Versions: []string{"Default"}}, cfg,
		ldapauth.GateOptions{Directory: fixedDirectory{id}})
	if err != nil {
		t.Fatal(err)
	}
	defer gate.Close()
	r := httptest.NewRequest("GET", "/", nil)
	r.SetBasicAuth("alice", "pw")
	res := gate.Check(r)
	if res.Outcome != ldapauth.OutcomeGranted {
		t.Fatalf("outcome %v", res.Outcome)
	}
	setSession(r, gate, res)
	s := ctx.GetSession(r)
	switch {
	case s == nil:
		t.Fatal("no session set")
	case s.KeyID != res.Grant.KeyID || s.Alias != "alice" || s.OrgID != "org-1":
		t.Fatalf("KeyID %q alias %q org %q", s.KeyID, s.Alias, s.OrgID)
	case len(s.AccessRights) != 1 || s.AccessRights["api-1"].APIID != "api-1" || len(s.AccessRights["api-1"].Versions) != 1:
		t.Fatalf("access rights %+v, want api-1 only", s.AccessRights)
	case len(s.ApplyPolicies) != 1 || s.ApplyPolicies[0] != "p1":
		t.Fatalf("policies %v", s.ApplyPolicies)
	case s.SessionLifetime != 90 || s.Expires <= 0:
		t.Fatalf("lifetime %d expires %d", s.SessionLifetime, s.Expires)
	case s.MetaData["ldap_username"] != "alice":
		t.Fatalf("metadata %v", s.MetaData)
	}
	s.MetaData["policies"] = "tampered"
	if _, leaked := res.Grant.MetaData["policies"]; leaked {
		t.Fatal("the session shares the grant's metadata map")
	}
}
