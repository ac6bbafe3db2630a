package check

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReadSource(t *testing.T) {
	tests := []struct {
		name         string
		file         string
		wantKind     Kind
		wantID       string
		wantOrg      string
		wantVersions []string
		wantPath     string
		wantDisabled string
		wantURL      string // config["urls"][0]
		wantWarning  string // a substring of one warning; "" means no warnings
		wantUnsupp   string // the key of Unsupported
		wantErr      string
	}{
		{
			name: "classic with a query auth source", file: `{"api_id": "a1", "custom_plugin_auth_enabled": true,
				"custom_middleware": {"driver": "goplugin", "auth_check": {"name": "LDAPAuth"}},
				"auth_configs": {"coprocess": {"use_param": true, "param_name": "auth"}}}`,
			wantKind: KindClassic, wantID: "a1", wantVersions: []string{"Default"}, wantPath: "config_data",
			wantUnsupp: "auth_configs.coprocess",
		},
		{
			name: "classic with the Authorization header as auth source", file: `{"api_id": "a1", "custom_plugin_auth_enabled": true,
				"custom_middleware": {"driver": "goplugin", "auth_check": {"name": "LDAPAuth"}},
				"auth_configs": {"coprocess": {"auth_header_name": "authorization"}, "authToken": {"use_param": true}}}`,
			wantKind: KindClassic, wantID: "a1", wantVersions: []string{"Default"}, wantPath: "config_data",
		},
		{
			name: "oas with a cookie auth source", file: `{"openapi": "3.0.3", "x-tyk-api-gateway": {"info": {"id": "o-1"},
				"server": {"authentication": {"enabled": true, "custom": {"enabled": true, "cookie": {"enabled": true, "name": "c"},
				"config": {"enabled": true, "functionName": "LDAPAuth"}}}},
				"middleware": {"global": {"pluginConfig": {"driver": "goplugin", "data": {"enabled": true, "value": {}}}}}}}`,
			wantKind: KindOAS, wantID: "o-1", wantVersions: []string{"Default"},
			wantPath: "x-tyk-api-gateway.middleware.global.pluginConfig.data.value", wantUnsupp: "server.authentication.custom",
		},
		{
			name: "oas with another header", file: `{"openapi": "3.0.3", "x-tyk-api-gateway": {"info": {"id": "o-1"},
				"server": {"authentication": {"enabled": true, "custom": {"enabled": true, "header": {"enabled": true, "name": "X-Auth"},
				"config": {"enabled": true, "functionName": "LDAPAuth"}}}},
				"middleware": {"global": {"pluginConfig": {"driver": "goplugin", "data": {"enabled": true, "value": {}}}}}}}`,
			wantKind: KindOAS, wantID: "o-1", wantVersions: []string{"Default"},
			wantPath: "x-tyk-api-gateway.middleware.global.pluginConfig.data.value", wantUnsupp: "server.authentication.custom",
		},
		{
			name: "classic", file: `{"api_id": "a1", "org_id": "o1", "name": "A", "use_keyless": false,
				"custom_plugin_auth_enabled": true,
				"custom_middleware": {"driver": "goplugin", "auth_check": {"name": "LDAPAuth", "path": "/x.so"}},
				"version_data": {"versions": {"v2": {}, "v1": {}}},
				"config_data": {"urls": ["ldaps://ldap.example.org"]}}`,
			wantKind: KindClassic, wantID: "a1", wantOrg: "o1", wantVersions: []string{"v1", "v2"},
			wantPath: "config_data", wantURL: "ldaps://ldap.example.org",
		},
		{
			name: "classic without versions gets Default", file: `{"api_id": "a1", "custom_plugin_auth_enabled": true,
				"custom_middleware": {"driver": "goplugin", "auth_check": {"name": "LDAPAuth"}}, "config_data": {}}`,
			wantKind: KindClassic, wantID: "a1", wantVersions: []string{"Default"}, wantPath: "config_data",
		},
		{
			name: "classic disabled", file: `{"api_id": "a1", "config_data_disabled": true, "custom_plugin_auth_enabled": true,
				"custom_middleware": {"driver": "goplugin", "auth_check": {"name": "LDAPAuth"}}, "config_data": {"urls": ["ldaps://h"]}}`,
			wantKind: KindClassic, wantID: "a1", wantVersions: []string{"Default"}, wantPath: "config_data",
			wantDisabled: "config_data_disabled", wantURL: "ldaps://h",
		},
		{
			name: "classic keyless", file: `{"api_id": "a1", "use_keyless": true, "custom_plugin_auth_enabled": true,
				"custom_middleware": {"driver": "goplugin", "auth_check": {"name": "LDAPAuth"}}}`,
			wantKind: KindClassic, wantID: "a1", wantVersions: []string{"Default"}, wantPath: "config_data",
			wantWarning: "use_keyless is true",
		},
		{
			name: "classic wrong symbol", file: `{"api_id": "a1", "custom_plugin_auth_enabled": true,
				"custom_middleware": {"driver": "goplugin", "auth_check": {"name": "Auth"}}}`,
			wantKind: KindClassic, wantID: "a1", wantVersions: []string{"Default"}, wantPath: "config_data",
			wantWarning: `auth_check.name is "Auth"`,
		},
		{
			name: "classic config_data not an object", file: `{"api_id": "a1", "config_data": "urls"}`,
			wantErr: "cannot load this classic API definition",
		},
		{
			name: "oas", file: `{"openapi": "3.0.3", "x-tyk-api-gateway": {"info": {"id": "o-1", "orgId": "org", "name": "O"},
				"server": {"authentication": {"enabled": true, "custom": {"enabled": true, "config": {"enabled": true, "functionName": "LDAPAuth"}}}},
				"middleware": {"global": {"pluginConfig": {"driver": "goplugin", "data": {"enabled": true, "value": {"urls": ["ldaps://o"]}}}}}}}`,
			wantKind: KindOAS, wantID: "o-1", wantOrg: "org", wantVersions: []string{"Default"},
			wantPath: "x-tyk-api-gateway.middleware.global.pluginConfig.data.value", wantURL: "ldaps://o",
		},
		{
			name: "oas data disabled", file: `{"openapi": "3.0.3", "x-tyk-api-gateway": {"info": {"id": "o-1"},
				"server": {"authentication": {"enabled": true, "custom": {"enabled": true, "config": {"enabled": true, "functionName": "LDAPAuth"}}}},
				"middleware": {"global": {"pluginConfig": {"driver": "goplugin", "data": {"enabled": false, "value": {"urls": ["ldaps://o"]}}}}}}}`,
			wantKind: KindOAS, wantID: "o-1", wantVersions: []string{"Default"},
			wantPath: "x-tyk-api-gateway.middleware.global.pluginConfig.data.value", wantDisabled: "middleware.global.pluginConfig.data.enabled",
		},
		{
			name: "oas without data", file: `{"openapi": "3.0.3", "x-tyk-api-gateway": {"info": {"id": "o-1"},
				"server": {"authentication": {"enabled": true, "custom": {"enabled": true, "config": {"enabled": true, "functionName": "LDAPAuth"}}}},
				"middleware": {"global": {"pluginConfig": {"driver": "goplugin"}}}}}`,
			wantKind: KindOAS, wantID: "o-1", wantVersions: []string{"Default"},
			wantPath: "x-tyk-api-gateway.middleware.global.pluginConfig.data.value", wantDisabled: "middleware.global.pluginConfig.data",
		},
		{
			name: "oas without the extension", file: `{"openapi": "3.0.3", "info": {"title": "x"}}`,
			wantKind: KindOAS, wantPath: "x-tyk-api-gateway.middleware.global.pluginConfig.data.value", wantDisabled: "x-tyk-api-gateway",
		},
		{
			name: "oas authentication off", file: `{"openapi": "3.0.3", "x-tyk-api-gateway": {"info": {"id": "o-1"},
				"middleware": {"global": {"pluginConfig": {"driver": "goplugin", "data": {"enabled": true, "value": {}}}}}}}`,
			wantKind: KindOAS, wantID: "o-1", wantVersions: []string{"Default"},
			wantPath: "x-tyk-api-gateway.middleware.global.pluginConfig.data.value", wantWarning: "server.authentication.enabled is not true",
		},
		{
			name: "bare config", file: `{"urls": ["ldaps://b"], "search_base_dn": "dc=x"}`,
			wantKind: KindConfig, wantURL: "ldaps://b", wantVersions: []string{"Default"},
		},
		{name: "not JSON", file: `{"urls": `, wantErr: "not a JSON object"},
		{name: "JSON array", file: `[1, 2]`, wantErr: "not a JSON object"},
		{name: "null", file: `null`, wantErr: "null"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, err := ReadSource([]byte(tc.file), func(string) string { return "" })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if src.Kind != tc.wantKind || src.API.ID != tc.wantID || src.API.OrgID != tc.wantOrg || src.ConfigPath != tc.wantPath {
				t.Errorf("kind %q id %q org %q path %q, want %q %q %q %q", src.Kind, src.API.ID, src.API.OrgID, src.ConfigPath,
					tc.wantKind, tc.wantID, tc.wantOrg, tc.wantPath)
			}
			if !slices.Equal(src.API.Versions, tc.wantVersions) {
				t.Errorf("versions %v, want %v", src.API.Versions, tc.wantVersions)
			}
			gotUnsupp := ""
			if src.Unsupported != nil {
				gotUnsupp = src.Unsupported.Key
			}
			if gotUnsupp != tc.wantUnsupp {
				t.Errorf("Unsupported %v, want key %q", src.Unsupported, tc.wantUnsupp)
			}
			if src.DisabledBy != tc.wantDisabled {
				t.Errorf("DisabledBy %q, want %q", src.DisabledBy, tc.wantDisabled)
			}
			gotURL := ""
			if urls, ok := src.Config["urls"].([]any); ok && len(urls) > 0 {
				gotURL, _ = urls[0].(string)
			}
			if tc.wantDisabled == "" && gotURL != tc.wantURL {
				t.Errorf("urls[0] %q, want %q", gotURL, tc.wantURL)
			}
			switch {
			case tc.wantWarning == "" && len(src.Warnings) > 0:
				t.Errorf("unexpected warnings %q", src.Warnings)
			case tc.wantWarning != "" && !slices.ContainsFunc(src.Warnings, func(w string) bool { return strings.Contains(w, tc.wantWarning) }):
				t.Errorf("warnings %q lack %q", src.Warnings, tc.wantWarning)
			}
		})
	}
}

// The example definitions shipped in testdata must read as the gateway
// wires them: no warnings, the plugin configuration found.
func TestReadSourceShippedExamples(t *testing.T) {
	files, err := filepath.Glob("../../testdata/apis/*/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example definitions found (%v)", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src, err := ReadSource(data, func(string) string { return "" })
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if src.Kind == KindConfig || src.API.ID == "" {
			t.Errorf("%s: read as %q with API id %q", f, src.Kind, src.API.ID)
		}
		if len(src.Warnings) > 0 || src.DisabledBy != "" {
			t.Errorf("%s: warnings %q, disabled by %q", f, src.Warnings, src.DisabledBy)
		}
		if _, ok := src.Config["urls"]; !ok && !strings.Contains(f, "bundle") {
			t.Errorf("%s: no urls in the plugin configuration", f)
		}
	}
}

func TestSubstituteEnv(t *testing.T) {
	env := map[string]string{"PW": "s3cret", "QUOTE": `a"b`, "EMPTY": ""}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		name                       string
		in                         string
		want                       string
		replaced, left, unsafeVars []string
	}{
		{name: "none", in: `{"a": "b"}`, want: `{"a": "b"}`},
		{name: "set", in: `{"p": "env://PW", "q": "env://PW"}`, want: `{"p": "s3cret", "q": "s3cret"}`, replaced: []string{"PW"}},
		{name: "unset and empty stay", in: `{"p": "env://NOPE", "e": "env://EMPTY"}`, want: `{"p": "env://NOPE", "e": "env://EMPTY"}`, left: []string{"NOPE", "EMPTY"}},
		// Tyk inserts the value as text: a quote ends the JSON string.
		{name: "unescaped", in: `{"p": "env://QUOTE"}`, want: `{"p": "a"b"}`, replaced: []string{"QUOTE"}, unsafeVars: []string{"QUOTE"}},
		// The name runs to the next double quote, spaces included.
		{name: "name to the quote", in: `{"p": "env://PW x"}`, want: `{"p": "env://PW x"}`, left: []string{"PW x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, sub := SubstituteEnv([]byte(tc.in), getenv)
			if string(out) != tc.want {
				t.Errorf("got %s, want %s", out, tc.want)
			}
			if !slices.Equal(sub.Replaced, tc.replaced) || !slices.Equal(sub.Left, tc.left) || !slices.Equal(sub.Unsafe, tc.unsafeVars) {
				t.Errorf("replaced %q left %q unsafe %q, want %q %q %q", sub.Replaced, sub.Left, sub.Unsafe, tc.replaced, tc.left, tc.unsafeVars)
			}
		})
	}
}

func TestReadSourceUnsafeSubstitution(t *testing.T) {
	_, err := ReadSource([]byte(`{"bind_password": "env://QUOTE"}`), func(string) string { return `pa"ss` })
	if err == nil || !strings.Contains(err.Error(), "QUOTE holds a quote") {
		t.Fatalf("err = %v, want the unescaped substitution explained", err)
	}
	if strings.Contains(err.Error(), `pa"ss`) {
		t.Fatalf("the error repeats the variable's value: %v", err)
	}
}
