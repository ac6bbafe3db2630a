package tykhost

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/apidef/oas"
)

// oasParts are the parts of a Tyk OAS API these tests vary.
type oasParts struct {
	name       string         // info.name; the ID when empty
	auth       map[string]any // server.authentication; nil means keyless
	versioning map[string]any // info.versioning
	internal   bool           // info.state.internal
}

// oasFromParts builds a Tyk OAS API from JSON, as a file on disk is read.
func oasFromParts(t *testing.T, id, listen, target string, p oasParts) *oas.OAS {
	t.Helper()
	name := p.name
	if name == "" {
		name = id
	}
	info := map[string]any{"id": id, "orgId": "default", "name": name, "state": map[string]any{"active": true, "internal": p.internal}}
	if p.versioning != nil {
		info["versioning"] = p.versioning
	}
	server := map[string]any{"listenPath": map[string]any{"value": listen, "strip": true}}
	if p.auth != nil {
		server["authentication"] = p.auth
	}
	doc := map[string]any{
		"openapi": "3.0.3", "info": map[string]any{"title": id, "version": "1.0.0"}, "paths": map[string]any{},
		"x-tyk-api-gateway": map[string]any{
			"info": info, "upstream": map[string]any{"url": target}, "server": server,
			"middleware": map[string]any{"global": map[string]any{"pluginConfig": map[string]any{"driver": "goplugin"}}},
		},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var o oas.OAS
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatal(err)
	}
	return &o
}

func pluginAuth(so string) map[string]any {
	return map[string]any{"enabled": true, "custom": map[string]any{"enabled": true,
		"config": map[string]any{"enabled": true, "functionName": "AuthCheck", "path": so}}}
}

// tokenAuth is an OAS API protected by Tyk's own token auth: a request that
// reaches it without a key gets 401 "Authorization field missing".
var tokenAuth = map[string]any{"enabled": true}

// TestVersionRouting sends requests to a Tyk OAS base API (token auth,
// version "v1") whose other versions are separate OAS APIs authenticated by
// the test plugin. A request the base serves itself therefore ends in the
// base's token auth (401), one for a version API in that API's plugin.
func TestVersionRouting(t *testing.T) {
	so := testPlugin(t)
	up := newUpstream(t)
	versions := []map[string]any{
		{"name": "v2", "id": "base-v2"},
		{"name": "v3", "id": "base-v3-api"}, // the looping name of the API with ID third
		{"name": "v4", "id": "base-v4"},     // never loaded
	}
	versioning := func(edits ...func(map[string]any)) map[string]any {
		v := map[string]any{"enabled": true, "name": "v1", "default": "v1", "location": "header", "key": "X-Api-Version", "versions": versions}
		for _, e := range edits {
			e(v)
		}
		return v
	}
	set := func(k string, val any) func(map[string]any) { return func(v map[string]any) { v[k] = val } }
	alice := func(pairs ...string) map[string]string {
		h := map[string]string{"X-Test-User": "alice", "X-Test-ACL": "base-v2,third"}
		for i := 0; i+1 < len(pairs); i += 2 {
			h[pairs[i]] = pairs[i+1]
		}
		return h
	}

	tests := []struct {
		name       string
		versioning map[string]any
		path       string
		headers    map[string]string
		wantStatus int
		wantBody   string
		wantSeen   map[string]string // response headers set by the version API's plugin call
		wantPath   string            // what the upstream got, when proxied
		wantAPI    string
		wantVia    []string
	}{
		{name: "no version: the default, the base itself", versioning: versioning(), path: "/base/x", headers: alice(),
			wantStatus: 401, wantBody: tykError(msgAuthMissing), wantAPI: "base"},
		{name: "the base's own name", versioning: versioning(), path: "/base/x", headers: alice("X-Api-Version", "v1"),
			wantStatus: 401, wantBody: tykError(msgAuthMissing), wantAPI: "base"},
		{name: "self", versioning: versioning(), path: "/base/x", headers: alice("X-Api-Version", "self"),
			wantStatus: 401, wantBody: tykError(msgAuthMissing), wantAPI: "base"},
		{name: "v2: the version API's chain, not the base's auth", versioning: versioning(), path: "/base/x?q=1", headers: alice("X-Api-Version", "v2"),
			wantStatus: 200, wantPath: "/v2/x?q=1", wantAPI: "base-v2", wantVia: []string{"base"},
			wantSeen: map[string]string{"X-Seen-OAS-ID": "base-v2", "X-Seen-Version-Name": "v2", "X-Seen-Version-Header": "v2", "X-Seen-Classic": "none"}},
		{name: "v2: access rights must name the version API", versioning: versioning(), path: "/base/x",
			headers:    alice("X-Api-Version", "v2", "X-Test-ACL", "base"),
			wantStatus: 403, wantBody: tykError(msgAccessDenied), wantAPI: "base-v2", wantVia: []string{"base"}},
		{name: "v2: the version API's plugin decides", versioning: versioning(), path: "/base/x", headers: alice("X-Api-Version", "v2", "X-Test-Mode", "deny"),
			wantStatus: 401, wantBody: "denied by plugin", wantAPI: "base-v2", wantVia: []string{"base"}},
		{name: "v3: listed by the looping name of its API", versioning: versioning(), path: "/base/x", headers: alice("X-Api-Version", "v3"),
			wantStatus: 200, wantPath: "/v3/x", wantAPI: "third", wantVia: []string{"base"}},
		{name: "v4: listed, its API not loaded", versioning: versioning(), path: "/base/x", headers: alice("X-Api-Version", "v4"),
			wantStatus: 404, wantBody: tykError(msgVersionDoesNotExist), wantAPI: "base", wantSeen: map[string]string{"X-Seen-OAS-ID": ""}},
		{name: "unknown version", versioning: versioning(), path: "/base/x", headers: alice("X-Api-Version", "v9"),
			wantStatus: 404, wantBody: tykError(msgVersionDoesNotExist), wantAPI: "base"},
		{name: "fallback to a default that is the base", versioning: versioning(set("fallbackToDefault", true)),
			path: "/base/x", headers: alice("X-Api-Version", "v9"), wantStatus: 401, wantBody: tykError(msgAuthMissing), wantAPI: "base"},
		{name: "fallback to a default version API", versioning: versioning(set("fallbackToDefault", true), set("default", "v2")),
			path: "/base/x", headers: alice("X-Api-Version", "v9"), wantStatus: 200, wantPath: "/v2/x", wantAPI: "base-v2", wantVia: []string{"base"}},
		{name: "fallback to a default missing from the list", versioning: versioning(set("fallbackToDefault", true), set("default", "v8")),
			path: "/base/x", headers: alice("X-Api-Version", "v9"), wantStatus: 500, wantBody: tykError(msgInternalFailure), wantAPI: "base"},
		{name: "fallback to a default whose API is not loaded", versioning: versioning(set("fallbackToDefault", true), set("default", "v4")),
			path: "/base/x", headers: alice("X-Api-Version", "v9"), wantStatus: 500, wantBody: tykError(msgInternalFailure), wantAPI: "base"},
		{name: "no version and a default that is another version", versioning: versioning(set("default", "v2")),
			path: "/base/x", headers: alice(), wantStatus: 200, wantPath: "/v2/x", wantAPI: "base-v2", wantVia: []string{"base"}},
		{name: "no version and no default", versioning: versioning(set("default", "")),
			path: "/base/x", headers: alice(), wantStatus: 403, wantBody: tykError(msgVersionNotFound), wantAPI: "base"},
		{name: "header stripped", versioning: versioning(set("stripVersioningData", true)), path: "/base/x", headers: alice("X-Api-Version", "v2"),
			wantStatus: 200, wantPath: "/v2/x", wantAPI: "base-v2", wantVia: []string{"base"},
			wantSeen: map[string]string{"X-Seen-Version-Name": "v2", "X-Seen-Version-Header": ""}},
		{name: "query parameter, stripped", versioning: versioning(set("location", "url-param"), set("key", "version"), set("stripVersioningData", true)),
			path: "/base/x?version=v2&b=2&a=1", headers: alice(), wantStatus: 200, wantPath: "/v2/x?a=1&b=2", wantAPI: "base-v2", wantVia: []string{"base"}},
		{name: "URL segment, stripped", versioning: versioning(set("location", "url"), set("stripVersioningData", true)),
			path: "/base/v2/x", headers: alice(), wantStatus: 200, wantPath: "/v2/x", wantAPI: "base-v2", wantVia: []string{"base"},
			wantSeen: map[string]string{"X-Seen-Version-Name": "v2"}},
		{name: "URL segment, kept", versioning: versioning(set("location", "url")),
			path: "/base/v2/x", headers: alice(), wantStatus: 200, wantPath: "/v2/v2/x", wantAPI: "base-v2", wantVia: []string{"base"}},
		{name: "a version API is internal: no route of its own", versioning: versioning(), path: "/base-v2/x", headers: alice(),
			wantStatus: 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, srv := startHost(t, Options{}, APIs{OAS: []*oas.OAS{
				oasFromParts(t, "base", "/base/", up.URL+"/base", oasParts{auth: tokenAuth, versioning: tc.versioning}),
				oasFromParts(t, "base-v2", "/base-v2/", up.URL+"/v2", oasParts{auth: pluginAuth(so), internal: true}),
				oasFromParts(t, "third", "/third/", up.URL+"/v3", oasParts{name: "Base v3 API", auth: pluginAuth(so)}),
			}})
			routeCase{name: tc.name, path: tc.path, headers: tc.headers, wantStatus: tc.wantStatus, wantBody: tc.wantBody,
				wantSeen: tc.wantSeen, wantPath: tc.wantPath, wantAPI: tc.wantAPI, wantVia: tc.wantVia}.check(t, h, srv, up)
		})
	}
}

// TestClassicBaseRoutesToVersionAPI: a classic API with definition.enabled
// routes the same way.
func TestClassicBaseRoutesToVersionAPI(t *testing.T) {
	so := testPlugin(t)
	up := newUpstream(t)
	base := tokenAPI("classic-base", "/classic-base/", up.URL+"/base")
	base.VersionDefinition = apidef.VersionDefinition{Enabled: true, Name: "v1", Default: "v1",
		Location: apidef.HeaderLocation, Key: "X-Api-Version", Versions: map[string]string{"v2": "classic-v2"}}
	v2 := pluginAPI("classic-v2", "/classic-v2/", up.URL+"/v2", so)
	h, srv := startHost(t, Options{}, APIs{Classic: []*apidef.APIDefinition{base, v2}})

	if got := do(t, srv, "GET", "/classic-base/x", map[string]string{"X-Test-User": "alice"}, ""); got.status != 401 || got.body != tykError(msgAuthMissing) {
		t.Fatalf("v1 (the base): got %d %q, want the base's token auth", got.status, got.body)
	}
	got := do(t, srv, "GET", "/classic-base/x", map[string]string{"X-Test-User": "alice", "X-Api-Version": "v2"}, "")
	if req, _ := up.last(); got.status != 200 || req == nil || req.URL.Path != "/v2/x" {
		t.Fatalf("v2: got %d %q, want 200 from classic-v2's upstream", got.status, got.body)
	}
	if got.header.Get("X-Seen-API-ID") != "classic-v2" || got.header.Get("X-Seen-Version-Name") != "v2" {
		t.Fatalf("v2's plugin saw API %q version %q", got.header.Get("X-Seen-API-ID"), got.header.Get("X-Seen-Version-Name"))
	}
	if rec := lastRecord(t, h); rec.APIID != "classic-v2" || !reflect.DeepEqual(rec.Via, []string{"classic-base"}) {
		t.Fatalf("record %+v", rec)
	}
}
