package tykhost

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/apidef/oas"
	"github.com/TykTechnologies/tyk/storage"
)

// oasAPI builds a Tyk OAS API with custom Go auth from JSON, as a file on
// disk would be read.
func oasAPI(t *testing.T, id, listen, target, soPath string) *oas.OAS {
	t.Helper()
	doc := fmt.Sprintf(`{
  "openapi": "3.0.3", "info": {"title": %[1]q, "version": "1.0.0"}, "paths": {},
  "x-tyk-api-gateway": {
    "info": {"id": %[1]q, "orgId": "default", "name": %[1]q, "state": {"active": true}},
    "upstream": {"url": %[3]q},
    "server": {"listenPath": {"value": %[2]q, "strip": true},
      "authentication": {"enabled": true, "stripAuthorizationData": true,
        "custom": {"enabled": true, "config": {"enabled": true, "functionName": "AuthCheck", "path": %[4]q}}}},
    "middleware": {"global": {"pluginConfig": {"driver": "goplugin",
      "data": {"enabled": true, "value": {"greeting": "hello oas"}}}}}
  }
}`, id, listen, target, soPath)
	var o oas.OAS
	if err := json.Unmarshal([]byte(doc), &o); err != nil {
		t.Fatal(err)
	}
	return &o
}

func TestDefinitionInjection(t *testing.T) {
	so := testPlugin(t)
	up := newUpstream(t)
	classic := pluginAPI("ldap", "/ldap/", up.URL, so)
	h, srv := startHost(t, Options{}, APIs{
		Classic: []*apidef.APIDefinition{classic},
		OAS:     []*oas.OAS{oasAPI(t, "ldap-oas", "/ldap-oas/", up.URL, so)},
	})
	user := map[string]string{"X-Test-User": "alice"}

	first := do(t, srv, "GET", "/ldap/", user, "")
	second := do(t, srv, "GET", "/ldap/", user, "")
	ptr := first.header.Get("X-Seen-Def-Ptr")
	if ptr != fmt.Sprintf("%p", classic) || second.header.Get("X-Seen-Def-Ptr") != ptr {
		t.Fatalf("classic definition pointers %q, %q; want the loaded %p on every request",
			ptr, second.header.Get("X-Seen-Def-Ptr"), classic)
	}
	if first.header.Get("X-Seen-API-ID") != "ldap" || first.header.Get("X-Seen-Config") != "hello ldap" {
		t.Fatalf("GetDefinition gave api %q config %q", first.header.Get("X-Seen-API-ID"), first.header.Get("X-Seen-Config"))
	}
	if first.header.Get("X-Seen-Session-Before") != "" {
		t.Fatal("no session must be visible to auth_check before the plugin sets one")
	}

	viaOAS := do(t, srv, "GET", "/ldap-oas/anything", user, "")
	if viaOAS.status != 200 || viaOAS.body != "upstream ok" {
		t.Fatalf("OAS API got %d %q", viaOAS.status, viaOAS.body)
	}
	if viaOAS.header.Get("X-Seen-Classic") != "none" || viaOAS.header.Get("X-Seen-Def-Ptr") != "" {
		t.Fatal("an OAS API must have no classic definition in the context")
	}
	if viaOAS.header.Get("X-Seen-OAS-ID") != "ldap-oas" || viaOAS.header.Get("X-Seen-Config") != "hello oas" {
		t.Fatalf("GetOASDefinition gave id %q config %q", viaOAS.header.Get("X-Seen-OAS-ID"), viaOAS.header.Get("X-Seen-Config"))
	}
	if req, _ := up.last(); req.URL.Path != "/anything" || req.Header.Get("Authorization") != "" {
		t.Fatalf("OAS upstream request %s with Authorization %q", req.URL.Path, req.Header.Get("Authorization"))
	}

	opens := h.loader.openCount()
	if err := h.Reload(); err != nil {
		t.Fatal(err)
	}
	after := do(t, srv, "GET", "/ldap/", user, "")
	if p := after.header.Get("X-Seen-Def-Ptr"); p == "" || p == ptr {
		t.Fatalf("after reload the definition pointer is %q, want a new one (was %q)", p, ptr)
	}
	if after.status != 200 || after.header.Get("X-Seen-Config") != "hello ldap" {
		t.Fatalf("after reload got %d, config %q", after.status, after.header.Get("X-Seen-Config"))
	}
	if got := do(t, srv, "GET", "/ldap-oas/", user, ""); got.status != 200 || got.header.Get("X-Seen-OAS-ID") != "ldap-oas" {
		t.Fatalf("OAS API after reload: %d %q", got.status, got.header.Get("X-Seen-OAS-ID"))
	}
	if h.loader.openCount() != opens {
		t.Fatal("reload must reuse the loaded plugin")
	}
}

func TestHashKeysReachThePlugin(t *testing.T) {
	so := testPlugin(t)
	up := newUpstream(t)
	for _, hash := range []bool{false, true} {
		t.Run(fmt.Sprint("hash_keys=", hash), func(t *testing.T) {
			_, srv := startHost(t, Options{HashKeys: hash}, APIs{Classic: []*apidef.APIDefinition{pluginAPI("ldap", "/ldap/", up.URL, so)}})
			got := do(t, srv, "GET", "/ldap/", map[string]string{"X-Test-User": "alice"}, "")
			if got.header.Get("X-Seen-Hash-Keys") != fmt.Sprint(hash) {
				t.Fatalf("plugin saw hash_keys %q", got.header.Get("X-Seen-Hash-Keys"))
			}
			if want := storage.HashKey("test:alice", hash); got.header.Get("X-Seen-Key-Hash") != want {
				t.Fatalf("key hash %q, want %q", got.header.Get("X-Seen-Key-Hash"), want)
			}
		})
	}
}

func TestPluginLoadFailureKeepsTheAPI(t *testing.T) {
	so := testPlugin(t)
	up := newUpstream(t)
	missing := pluginAPI("missing", "/missing/", up.URL, filepath.Join(t.TempDir(), "gone.so"))
	wrongType := pluginAPI("wrongtype", "/wrongtype/", up.URL, so)
	wrongType.CustomMiddleware.AuthCheck.Name = "NotAHandler"
	good := pluginAPI("good", "/good/", up.URL, so)
	h, srv := startHost(t, Options{}, APIs{Classic: []*apidef.APIDefinition{missing, wrongType, good}})

	tests := []struct {
		api, wantErr string
	}{
		{"missing", "plugin file not found"},
		{"wrongtype", "could not cast function symbol to http.HandlerFunc"},
	}
	for _, tc := range tests {
		t.Run(tc.api, func(t *testing.T) {
			if err := h.PluginError(tc.api); err == nil || err.Error() != tc.wantErr {
				t.Fatalf("PluginError = %v, want %q", err, tc.wantErr)
			}
			got := do(t, srv, "GET", "/"+tc.api+"/", map[string]string{"X-Test-User": "alice"}, "")
			if got.status != 500 || got.body != tykError(msgInternalFailure) {
				t.Fatalf("got %d %q, want the gateway's 500", got.status, got.body)
			}
			if rec := lastRecord(t, h); rec.Status != 500 || rec.Proxied {
				t.Fatalf("record %+v", rec)
			}
		})
	}
	if h.PluginError("good") != nil {
		t.Fatal("good API must have loaded")
	}
	if got := do(t, srv, "GET", "/good/", map[string]string{"X-Test-User": "alice"}, ""); got.status != 200 {
		t.Fatalf("good API got %d", got.status)
	}
	if up.count() != 1 {
		t.Fatalf("upstream hits %d, want only the good API's", up.count())
	}
}

func TestVersionedPluginFileAndSharedOpen(t *testing.T) {
	so := testPlugin(t)
	up := newUpstream(t)
	dir := t.TempDir()
	versioned := filepath.Join(dir, "auth_v5.14.0_"+runtime.GOOS+"_"+runtime.GOARCH+".so")
	if err := os.Symlink(so, versioned); err != nil {
		t.Fatal(err)
	}
	// The API names auth.so, which does not exist: the versioned file
	// for this gateway version is what Tyk loads.
	a := pluginAPI("a", "/a/", up.URL, filepath.Join(dir, "auth.so"))
	b := pluginAPI("b", "/b/", up.URL, so)
	h, srv := startHost(t, Options{GatewayVersion: "v5.14.0"}, APIs{Classic: []*apidef.APIDefinition{a, b}})
	for _, p := range []string{"/a/", "/b/"} {
		if got := do(t, srv, "GET", p, map[string]string{"X-Test-User": "alice"}, ""); got.status != 200 {
			t.Fatalf("%s got %d %q (load error %v)", p, got.status, got.body, h.PluginError(strings.Trim(p, "/")))
		}
	}
	if n := h.loader.openCount(); n != 1 {
		t.Fatalf("plugin.Open called %d times for one file, want 1", n)
	}
}

func TestKeylessAndLongestListenPath(t *testing.T) {
	so := testPlugin(t)
	up := newUpstream(t)
	open := tokenAPI("open", "/api/", up.URL)
	open.UseKeylessAccess = true
	_, srv := startHost(t, Options{}, APIs{Classic: []*apidef.APIDefinition{open, pluginAPI("ldap", "/api/ldap/", up.URL, so)}})
	if got := do(t, srv, "GET", "/api/x", nil, ""); got.status != 200 || got.body != "upstream ok" {
		t.Fatalf("keyless API got %d %q", got.status, got.body)
	}
	if got := do(t, srv, "GET", "/api/ldap/x", map[string]string{"X-Test-Mode": "deny"}, ""); got.status != 401 {
		t.Fatalf("the longer listen path must win; got %d", got.status)
	}
}

func TestLoadRejects(t *testing.T) {
	so := testPlugin(t)
	tests := []struct {
		name string
		edit func(*apidef.APIDefinition)
		want string
	}{
		{"non-goplugin driver", func(d *apidef.APIDefinition) { d.CustomMiddleware.Driver = apidef.GrpcDriver }, "not supported"},
		{"basic auth", func(d *apidef.APIDefinition) { d.UseBasicAuth = true }, "not supported"},
		{"standard auth with plugin", func(d *apidef.APIDefinition) { d.UseStandardAuth = true }, "not supported"},
		{"bad target", func(d *apidef.APIDefinition) { d.Proxy.TargetURL = "not a url" }, "invalid target_url"},
		{"no api_id", func(d *apidef.APIDefinition) { d.APIID = "" }, "without api_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := pluginAPI("ldap", "/ldap/", "http://127.0.0.1:1/", so)
			tc.edit(d)
			err := New(Options{}).Load(APIs{Classic: []*apidef.APIDefinition{d}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load error %v, want %q", err, tc.want)
			}
		})
	}
	dup := []*apidef.APIDefinition{pluginAPI("x", "/a/", "http://127.0.0.1:1/", so), pluginAPI("x", "/b/", "http://127.0.0.1:1/", so)}
	if err := New(Options{}).Load(APIs{Classic: dup}); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Fatalf("duplicate api_id: %v", err)
	}
	var noExt oas.OAS
	if err := New(Options{}).Load(APIs{OAS: []*oas.OAS{&noExt}}); err == nil {
		t.Fatal("OAS without x-tyk-api-gateway must be rejected")
	}
}
