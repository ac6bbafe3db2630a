// STAND-IN tests (not Tyk code): a Tyk OAS API definition must unmarshal into
// the stand-in and expose x-tyk-api-gateway through GetTykExtension exactly
// like the real type.
package oas

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/TykTechnologies/tyk/apidef"
)

const oasLDAPAPI = `{
  "openapi": "3.0.3",
  "info": {"title": "ldap-oas", "version": "1.0.0"},
  "paths": {},
  "components": {"securitySchemes": {}},
  "x-tyk-api-gateway": {
    "info": {"id": "ldap-oas", "orgId": "default", "name": "ldap-oas", "state": {"active": true}},
    "upstream": {"url": "http://upstream:8000/"},
    "server": {
      "listenPath": {"value": "/ldap-oas/", "strip": true},
      "authentication": {
        "enabled": true,
        "stripAuthorizationData": true,
        "custom": {"enabled": true, "config": {"enabled": true, "functionName": "LDAPBasicAuth", "path": "/opt/tyk-gateway/middleware/ldapauth.so"}}
      }
    },
    "middleware": {"global": {"pluginConfig": {"driver": "goplugin", "data": {"enabled": true, "value": {"ldap_url": "ldaps://ldap.example.com:636"}}}}}
  }
}`

func TestOASUnmarshalAndExtension(t *testing.T) {
	var o OAS
	if err := json.Unmarshal([]byte(oasLDAPAPI), &o); err != nil {
		t.Fatal(err)
	}
	if _, raw := o.Extensions[ExtensionTykAPIGateway].(json.RawMessage); !raw {
		t.Fatalf("extension must stay raw until GetTykExtension: %T", o.Extensions[ExtensionTykAPIGateway])
	}
	x := o.GetTykExtension()
	if x == nil {
		t.Fatal("no x-tyk-api-gateway")
	}
	if o.GetTykExtension() != x {
		t.Fatal("GetTykExtension must store and return the decoded pointer")
	}
	auth := x.Server.Authentication
	checks := []struct {
		name string
		ok   bool
	}{
		{"info.id", x.Info.ID == "ldap-oas"},
		{"info.orgId", x.Info.OrgID == "default"},
		{"state.active", x.Info.State.Active},
		{"upstream.url", x.Upstream.URL == "http://upstream:8000/"},
		{"listenPath", x.Server.ListenPath.Value == "/ldap-oas/" && x.Server.ListenPath.Strip},
		{"authentication", auth != nil && auth.Enabled && auth.StripAuthorizationData},
		{"custom", auth != nil && auth.Custom != nil && auth.Custom.Enabled},
		{"custom.config", auth != nil && auth.Custom != nil && auth.Custom.Config != nil &&
			auth.Custom.Config.Enabled && auth.Custom.Config.FunctionName == "LDAPBasicAuth"},
		{"pluginConfig", x.Middleware != nil && x.Middleware.Global != nil && x.Middleware.Global.PluginConfig != nil &&
			x.Middleware.Global.PluginConfig.Driver == apidef.GoPluginDriver},
		{"data", x.Middleware.Global.PluginConfig.Data != nil && x.Middleware.Global.PluginConfig.Data.Enabled &&
			x.Middleware.Global.PluginConfig.Data.Value["ldap_url"] == "ldaps://ldap.example.com:636"},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s not decoded", c.name)
		}
	}

	// A round trip keeps the non-Tyk parts of the document.
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var back OAS
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.OpenAPI != "3.0.3" || back.rest["info"] == nil || back.GetTykExtension().Info.ID != "ldap-oas" {
		t.Fatalf("round trip lost data: %s", b)
	}
}

func TestGetTykExtensionVariants(t *testing.T) {
	var none OAS
	if none.GetTykExtension() != nil {
		t.Fatal("no extensions must give nil")
	}
	m := OAS{T: T{Extensions: map[string]interface{}{
		ExtensionTykAPIGateway: map[string]interface{}{"info": map[string]interface{}{"id": "from-map"}},
	}}}
	if got := m.GetTykExtension(); got == nil || got.Info.ID != "from-map" {
		t.Fatalf("map extension decoded as %+v", got)
	}
	m.RemoveTykExtension()
	if m.GetTykExtension() != nil {
		t.Fatal("RemoveTykExtension must remove it")
	}
}

func TestCustomKeyLifetime(t *testing.T) {
	tests := []struct {
		name        string
		json        string
		wantNil     bool
		wantEnabled bool
		wantSeconds float64
		wantRespect bool
		wantErr     bool
	}{
		{name: "absent", json: `{}`, wantNil: true},
		{name: "enabled with respect", json: `{"customKeyLifetime":{"enabled":true,"value":"1h30m","respectValidity":true}}`,
			wantEnabled: true, wantSeconds: 5400, wantRespect: true},
		{name: "seconds are rounded down", json: `{"customKeyLifetime":{"enabled":true,"value":"90.9s"}}`, wantEnabled: true, wantSeconds: 90},
		{name: "empty value is 0", json: `{"customKeyLifetime":{"enabled":true,"value":""}}`, wantEnabled: true},
		{name: "unparsable value is silently 0", json: `{"customKeyLifetime":{"enabled":true,"value":"soon"}}`, wantEnabled: true},
		{name: "a number is refused", json: `{"customKeyLifetime":{"enabled":true,"value":60}}`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a Authentication
			err := json.Unmarshal([]byte(tc.json), &a)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("decoded %+v, want an error", a.CustomKeyLifetime)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			k := a.CustomKeyLifetime
			if tc.wantNil {
				if k != nil {
					t.Fatalf("customKeyLifetime %+v, want nil", k)
				}
				return
			}
			if k == nil || k.Enabled != tc.wantEnabled || k.Value.Seconds() != tc.wantSeconds || k.RespectValidity != tc.wantRespect {
				t.Fatalf("customKeyLifetime %+v", k)
			}
			b, err := json.Marshal(k)
			if err != nil {
				t.Fatal(err)
			}
			var back CustomKeyLifetime
			if err := json.Unmarshal(b, &back); err != nil || back != *k {
				t.Fatalf("round trip %s gave %+v (%v), want %+v", b, back, err, *k)
			}
		})
	}
}

// info.versioning decodes with the real tags, the version list in order.
func TestVersioningDecodes(t *testing.T) {
	const doc = `{"id": "base", "name": "base", "state": {"active": true}, "versioning": {
	  "enabled": true, "name": "v1", "default": "v1", "location": "url-param", "key": "version",
	  "versions": [{"name": "v2", "id": "base-v2"}, {"name": "v3", "id": "base-v3"}],
	  "stripVersioningData": true, "urlVersioningPattern": "^v[0-9]+$", "fallbackToDefault": true}}`
	var info Info
	if err := json.Unmarshal([]byte(doc), &info); err != nil {
		t.Fatal(err)
	}
	v := info.Versioning
	want := Versioning{
		Enabled: true, Name: "v1", Default: "v1", Location: "url-param", Key: "version",
		Versions:            []VersionToID{{Name: "v2", ID: "base-v2"}, {Name: "v3", ID: "base-v3"}},
		StripVersioningData: true, UrlVersioningPattern: "^v[0-9]+$", FallbackToDefault: true,
	}
	if v == nil || !reflect.DeepEqual(*v, want) {
		t.Fatalf("versioning decoded as %+v, want %+v", v, want)
	}
	var plain Info
	if err := json.Unmarshal([]byte(`{"id": "x", "name": "x", "state": {"active": true}}`), &plain); err != nil || plain.Versioning != nil {
		t.Fatalf("an API without versioning decoded %+v (%v), want nil versioning", plain.Versioning, err)
	}
}
