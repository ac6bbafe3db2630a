package testdatacheck

import (
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth"
)

const (
	symbol     = "LDAPAuth"
	pluginPath = "/opt/tyk-gateway/middleware/ldapauth.so"
)

// bundleName is the name build.sh gives bundles: a new one per build.
var bundleName = regexp.MustCompile(`^ldapauth-[A-Za-z0-9][A-Za-z0-9_-]*\.zip$`)

func TestEveryJSONFileParses(t *testing.T) {
	n := 0
	err := filepath.WalkDir(filepath.Join(root, "testdata"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// tyk.conf files are JSON too.
		if d.IsDir() || (filepath.Ext(path) != ".json" && filepath.Ext(path) != ".conf") {
			return nil
		}
		n++
		readJSON(t, path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Errorf("only %d JSON files found under testdata", n)
	}
}

// apiDef is what the checks need from a classic or an OAS definition.
type apiDef struct {
	file, id, listenPath string
	config               map[string]any
}

// checkConfig makes sure the plugin's own parser accepts the configuration
// and that it names only policies that exist.
func checkConfig(t *testing.T, file string, cfg map[string]any, policies map[string]bool) {
	t.Helper()
	known := map[string]bool{}
	for _, k := range ldapauth.ConfigKeys() {
		known[k] = true
	}
	for _, k := range keysOf(cfg) {
		if !known[k] {
			t.Errorf("%s: unknown plugin configuration key %q", file, k)
		}
	}
	if _, err := ldapauth.ParseConfig(cfg); err != nil {
		t.Errorf("%s: the plugin rejects this configuration: %v", file, err)
	}
	var refs []any
	if p, ok := cfg["policies"].([]any); ok {
		refs = append(refs, p...)
	}
	if gp, ok := cfg["group_policies"].(map[string]any); ok {
		for _, v := range gp {
			if p, ok := v.([]any); ok {
				refs = append(refs, p...)
			}
		}
	}
	for _, r := range refs {
		if id, _ := r.(string); !policies[id] {
			t.Errorf("%s: policy %v is not in testdata/policies", file, r)
		}
	}
}

func policyIDs(t *testing.T) map[string]bool {
	ids := map[string]bool{}
	for _, f := range glob(t, "testdata/policies/*.json") {
		ids[getString(readJSON(t, f), "id")] = true
	}
	return ids
}

func classicAPIs(t *testing.T) []apiDef {
	t.Helper()
	var out []apiDef
	for _, f := range glob(t, "testdata/apis/classic/*.json") {
		d := readJSON(t, f)
		name := filepath.Base(f)
		for key, want := range map[string]any{
			"use_keyless": false, "use_standard_auth": false, "use_basic_auth": false,
			"custom_plugin_auth_enabled": true, "strip_auth_data": true,
			"config_data_disabled": false, "org_id": "default",
		} {
			if got := d[key]; got != want {
				t.Errorf("%s: %s = %v, want %v", name, key, got, want)
			}
		}
		if b := getString(d, "custom_middleware_bundle"); b != "" {
			// The bundle's manifest replaces custom_middleware entirely.
			if !bundleName.MatchString(b) {
				t.Errorf("%s: custom_middleware_bundle %q is not a name build.sh makes", name, b)
			}
			if d["custom_middleware"] != nil {
				t.Errorf("%s: custom_middleware is ignored when a bundle is set; leave it out", name)
			}
		} else {
			for _, c := range []struct {
				path []string
				want string
			}{
				{[]string{"custom_middleware", "driver"}, "goplugin"},
				{[]string{"custom_middleware", "auth_check", "name"}, symbol},
				{[]string{"custom_middleware", "auth_check", "path"}, pluginPath},
			} {
				if got := getString(d, c.path...); got != c.want {
					t.Errorf("%s: %s = %q, want %q", name, strings.Join(c.path, "."), got, c.want)
				}
			}
			if get(d, "custom_middleware", "auth_check", "disabled") == true {
				t.Errorf("%s: auth_check is disabled", name)
			}
		}
		cfg, _ := d["config_data"].(map[string]any)
		out = append(out, apiDef{file: name, id: getString(d, "api_id"), listenPath: getString(d, "proxy", "listen_path"), config: cfg})
	}
	return out
}

// xTykKeys are the top-level keys the strict x-tyk-api-gateway schema allows.
var xTykKeys = map[string]bool{"info": true, "upstream": true, "server": true, "middleware": true}

func oasAPIs(t *testing.T) []apiDef {
	t.Helper()
	var out []apiDef
	for _, f := range glob(t, "testdata/apis/oas/*.json") {
		d := readJSON(t, f)
		name := filepath.Base(f)
		if v := getString(d, "openapi"); !strings.HasPrefix(v, "3.0.") {
			t.Errorf("%s: openapi = %q, want 3.0.x", name, v)
		}
		x, ok := d["x-tyk-api-gateway"].(map[string]any)
		if !ok {
			t.Fatalf("%s: no x-tyk-api-gateway", name)
		}
		for _, k := range keysOf(x) {
			if !xTykKeys[k] {
				t.Errorf("%s: x-tyk-api-gateway.%s is not in the schema", name, k)
			}
		}
		checks := []struct {
			path []string
			want any
		}{
			{[]string{"info", "orgId"}, "default"},
			{[]string{"info", "state", "active"}, true},
			{[]string{"server", "authentication", "enabled"}, true},
			{[]string{"server", "authentication", "stripAuthorizationData"}, true},
			{[]string{"server", "authentication", "custom", "enabled"}, true},
			{[]string{"server", "authentication", "custom", "config", "enabled"}, true},
			{[]string{"server", "authentication", "custom", "config", "functionName"}, symbol},
			{[]string{"server", "authentication", "custom", "config", "path"}, pluginPath},
			{[]string{"middleware", "global", "pluginConfig", "driver"}, "goplugin"},
			{[]string{"middleware", "global", "pluginConfig", "data", "enabled"}, true},
		}
		for _, c := range checks {
			if got := get(x, c.path...); got != c.want {
				t.Errorf("%s: x-tyk-api-gateway.%s = %v, want %v", name, strings.Join(c.path, "."), got, c.want)
			}
		}
		cfg, _ := get(x, "middleware", "global", "pluginConfig", "data", "value").(map[string]any)
		out = append(out, apiDef{file: name, id: getString(x, "info", "id"), listenPath: getString(x, "server", "listenPath", "value"), config: cfg})
	}
	return out
}

func TestAPIDefinitions(t *testing.T) {
	t.Setenv("LDAP_BIND_PASSWORD", "reader-pass-1")
	policies := policyIDs(t)
	apis := append(classicAPIs(t), oasAPIs(t)...)
	ids, paths := map[string]string{}, map[string]string{}
	for _, a := range apis {
		if a.id == "" || a.listenPath == "" {
			t.Errorf("%s: API id %q or listen path %q empty", a.file, a.id, a.listenPath)
		}
		if other, dup := ids[a.id]; dup {
			t.Errorf("%s and %s share the API id %q", a.file, other, a.id)
		}
		if other, dup := paths[a.listenPath]; dup {
			t.Errorf("%s and %s share the listen path %q", a.file, other, a.listenPath)
		}
		ids[a.id], paths[a.listenPath] = a.file, a.file
		if a.config == nil {
			t.Errorf("%s: no plugin configuration", a.file)
			continue
		}
		checkConfig(t, a.file, a.config, policies)
	}
}

// TestAPIDefinitionsCoverTheCases makes sure the samples show what the
// README promises: direct bind, search-then-bind with the password from the
// environment, groups with policies, a bundle, and OAS twins.
func TestAPIDefinitionsCoverTheCases(t *testing.T) {
	var direct, search, groups, bundle int
	for _, f := range glob(t, "testdata/apis/classic/*.json") {
		d := readJSON(t, f)
		cfg, _ := d["config_data"].(map[string]any)
		switch {
		case getString(d, "custom_middleware_bundle") != "":
			bundle++
		case cfg["required_groups"] != nil && cfg["group_policies"] != nil:
			groups++
		case cfg["bind_password"] == "env://LDAP_BIND_PASSWORD" && cfg["search_base_dn"] != nil:
			search++
		case cfg["user_dn_template"] != nil:
			direct++
		}
	}
	var oasDirect, oasSearch int
	for _, f := range glob(t, "testdata/apis/oas/*.json") {
		cfg, _ := get(readJSON(t, f), "x-tyk-api-gateway", "middleware", "global", "pluginConfig", "data", "value").(map[string]any)
		if cfg["user_dn_template"] != nil {
			oasDirect++
		}
		if cfg["bind_password"] == "env://LDAP_BIND_PASSWORD" {
			oasSearch++
		}
	}
	for name, n := range map[string]int{
		"classic direct bind": direct, "classic search-then-bind": search, "classic groups": groups,
		"classic bundle": bundle, "OAS direct bind": oasDirect, "OAS search-then-bind": oasSearch,
	} {
		if n == 0 {
			t.Errorf("no %s API definition in testdata/apis", name)
		}
	}
}
