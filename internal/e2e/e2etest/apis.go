package e2etest

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/apidef/oas"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
)

// With returns a copy of m with the key/value pairs set (a nil value
// deletes the key). Plugin configurations are built this way from a base.
func With(m map[string]any, pairs ...any) map[string]any {
	if len(pairs)%2 != 0 {
		panic("With: odd number of arguments")
	}
	out := make(map[string]any, len(m)+len(pairs)/2)
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(pairs); i += 2 {
		k := pairs[i].(string)
		if pairs[i+1] == nil {
			delete(out, k)
			continue
		}
		out[k] = pairs[i+1]
	}
	return out
}

// JSONRoundTrip decodes the JSON of in into out, so values reach the
// plugin as they do from an API definition file: numbers as float64, lists
// as []interface{}.
func JSONRoundTrip(t testing.TB, in, out any) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
}

// Flavour is the kind of API definition the plugin is attached to.
type Flavour string

const (
	Classic Flavour = "classic"
	OAS     Flavour = "oas"
)

// Flavours are both kinds, for tests that run on each.
var Flavours = []Flavour{Classic, OAS}

// APIOption adjusts a classic definition before it is loaded (an OAS
// definition is derived from the adjusted classic one).
type APIOption func(*apidef.APIDefinition)

// StripAuthData turns on the gateway's own strip_auth_data.
func StripAuthData(d *apidef.APIDefinition) { d.StripAuthData = true }

// ConfigDataDisabled switches the API's config_data off.
func ConfigDataDisabled(d *apidef.APIDefinition) { d.ConfigDataDisabled = true }

// API builds an API of the given flavour listening on /<id>/ (stripped),
// proxying to target, authenticated by the plugin at pluginPath with
// config_data cfg. The gateway's own strip_auth_data is off unless an
// option turns it on, so what the upstream sees is the plugin's doing.
func API(t testing.TB, f Flavour, id string, cfg map[string]any, pluginPath, target string, opts ...APIOption) tykhost.APIs {
	t.Helper()
	d := ClassicDef(t, id, cfg, pluginPath, target)
	for _, o := range opts {
		o(d)
	}
	if f == Classic {
		return tykhost.APIs{Classic: []*apidef.APIDefinition{d}}
	}
	return tykhost.APIs{OAS: []*oas.OAS{OASDef(t, d)}}
}

// ClassicDef is the classic definition API builds.
func ClassicDef(t testing.TB, id string, cfg map[string]any, pluginPath, target string) *apidef.APIDefinition {
	t.Helper()
	d := &apidef.APIDefinition{
		Name:                    "e2e " + id,
		APIID:                   id,
		OrgID:                   "default",
		Active:                  true,
		CustomPluginAuthEnabled: true,
	}
	if cfg != nil {
		JSONRoundTrip(t, cfg, &d.ConfigData)
	}
	d.VersionData.NotVersioned = true
	d.VersionData.DefaultVersion = "Default"
	d.VersionData.Versions = map[string]apidef.VersionInfo{"Default": {Name: "Default"}}
	d.Proxy.ListenPath = "/" + id + "/"
	d.Proxy.TargetURL = target
	d.Proxy.StripListenPath = true
	d.CustomMiddleware.Driver = apidef.GoPluginDriver
	d.CustomMiddleware.AuthCheck = apidef.MiddlewareDefinition{Name: "LDAPAuth", Path: pluginPath}
	return d
}

// OASDef turns the settings of a classic definition into a Tyk OAS API
// read from JSON, as the gateway reads an OAS file.
func OASDef(t testing.TB, d *apidef.APIDefinition) *oas.OAS {
	t.Helper()
	info := map[string]any{"id": d.APIID, "orgId": d.OrgID, "name": d.Name,
		"state": map[string]any{"active": true, "internal": d.Internal}}
	if v := d.VersionDefinition; v.Enabled {
		info["versioning"] = oasVersioning(v)
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": d.Name, "version": "1.0.0"},
		"paths":   map[string]any{},
		"x-tyk-api-gateway": map[string]any{
			"info":     info,
			"upstream": map[string]any{"url": d.Proxy.TargetURL},
			"server": map[string]any{
				"listenPath": map[string]any{"value": d.Proxy.ListenPath, "strip": true},
				"authentication": map[string]any{
					"enabled": !d.UseKeylessAccess, "stripAuthorizationData": d.StripAuthData,
					"custom": map[string]any{"enabled": true, "config": map[string]any{
						"enabled": true, "functionName": d.CustomMiddleware.AuthCheck.Name, "path": d.CustomMiddleware.AuthCheck.Path,
					}},
				},
			},
			"middleware": map[string]any{"global": map[string]any{"pluginConfig": map[string]any{
				"driver": "goplugin",
				"data":   map[string]any{"enabled": !d.ConfigDataDisabled, "value": d.ConfigData},
			}}},
		},
	}
	var o oas.OAS
	JSONRoundTrip(t, doc, &o)
	return &o
}

// oasVersioning is a classic definition's versioning as Tyk OAS
// info.versioning (the reverse of what the gateway extracts).
func oasVersioning(v apidef.VersionDefinition) map[string]any {
	versions := []map[string]any{}
	for _, name := range slices.Sorted(maps.Keys(v.Versions)) {
		versions = append(versions, map[string]any{"name": name, "id": v.Versions[name]})
	}
	return map[string]any{
		"enabled": true, "name": v.Name, "default": v.Default, "location": v.Location, "key": v.Key,
		"versions": versions, "stripVersioningData": v.StripVersioningData, "fallbackToDefault": v.FallbackToDefault,
	}
}

// TokenAPI is a classic API protected by Tyk's standard token auth. Like
// every classic API it needs version_data: without it Tyk's VersionCheck
// answers 403 "Version information not found".
func TokenAPI(id, target string) tykhost.APIs {
	d := &apidef.APIDefinition{Name: id, APIID: id, OrgID: "default", Active: true}
	d.VersionData.NotVersioned = true
	d.VersionData.DefaultVersion = "Default"
	d.VersionData.Versions = map[string]apidef.VersionInfo{"Default": {Name: "Default"}}
	d.Proxy.ListenPath = "/" + id + "/"
	d.Proxy.TargetURL = target
	d.Proxy.StripListenPath = true
	return tykhost.APIs{Classic: []*apidef.APIDefinition{d}}
}

// Load replaces host's APIs, as a gateway (re)load from files does: every
// definition is a new object. It fails the test when the plugin did not
// load for one of them: such an API answers 500 to everything, which would
// make every check after it misleading.
func Load(t testing.TB, host *tykhost.Host, sets ...tykhost.APIs) {
	t.Helper()
	var all tykhost.APIs
	for _, s := range sets {
		all.Classic = append(all.Classic, s.Classic...)
		all.OAS = append(all.OAS, s.OAS...)
	}
	if err := host.Load(all); err != nil {
		t.Fatalf("Load: %v", err)
	}
	var ids []string
	for _, d := range all.Classic {
		if d.CustomPluginAuthEnabled {
			ids = append(ids, d.APIID)
		}
	}
	for _, o := range all.OAS {
		ids = append(ids, o.GetTykExtension().Info.ID) // decoded by Load already: read only
	}
	for _, id := range ids {
		if err := host.PluginError(id); err != nil {
			t.Fatalf("plugin did not load for %s: %v", id, err)
		}
	}
}
