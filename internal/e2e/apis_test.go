package e2e

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/apidef/oas"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
)

// Plugin configurations (config_data). Values go through JSON like a real
// API definition, so numbers arrive as float64 and lists as []interface{}.

// peopleTemplate binds directly as uid=<username> under ou=people.
const peopleTemplate = "uid={username}," + slapdtest.PeopleDN

// direct is a direct-bind configuration against the sample directory.
func (e *env) direct(pairs ...interface{}) map[string]interface{} {
	return with(map[string]interface{}{"urls": e.ldap.URL(), "user_dn_template": peopleTemplate}, pairs...)
}

// search is a search-then-bind configuration with the service account.
func (e *env) search(pairs ...interface{}) map[string]interface{} {
	return with(map[string]interface{}{
		"urls":           e.ldap.URL(),
		"search_base_dn": slapdtest.PeopleDN,
		"bind_dn":        slapdtest.ServiceAccountDN,
		"bind_password":  slapdtest.ServiceAccountPassword,
	}, pairs...)
}

// with returns a copy of m with the key/value pairs set (nil deletes).
func with(m map[string]interface{}, pairs ...interface{}) map[string]interface{} {
	if len(pairs)%2 != 0 {
		panic("with: odd number of arguments")
	}
	out := make(map[string]interface{}, len(m)+len(pairs)/2)
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

func jsonRoundTrip(t *testing.T, in interface{}, out interface{}) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
}

// API definitions. Each API listens on /<id>/ and strips it.

// flavour is the kind of API definition the plugin is attached to.
type flavour string

const (
	classic flavour = "classic"
	tykOAS  flavour = "oas"
)

var flavours = []flavour{classic, tykOAS}

// apiOption adjusts a classic definition before it is loaded.
type apiOption func(*apidef.APIDefinition)

func stripAuthData(d *apidef.APIDefinition)      { d.StripAuthData = true }
func configDataDisabled(d *apidef.APIDefinition) { d.ConfigDataDisabled = true }

// api builds an API of the given flavour using the plugin with cfg. The
// gateway's own strip_auth_data is off unless asked for, so what the
// upstream sees is the plugin's doing.
func (e *env) api(f flavour, id string, cfg map[string]interface{}, opts ...apiOption) tykhost.APIs {
	e.t.Helper()
	d := e.classicDef(id, cfg)
	for _, o := range opts {
		o(d)
	}
	if f == classic {
		return tykhost.APIs{Classic: []*apidef.APIDefinition{d}}
	}
	return tykhost.APIs{OAS: []*oas.OAS{e.oasDef(d)}}
}

func (e *env) classicDef(id string, cfg map[string]interface{}) *apidef.APIDefinition {
	d := &apidef.APIDefinition{
		Name:                    "e2e " + id,
		APIID:                   id,
		OrgID:                   "default",
		Active:                  true,
		CustomPluginAuthEnabled: true,
	}
	if cfg != nil {
		jsonRoundTrip(e.t, cfg, &d.ConfigData)
	}
	d.VersionData.NotVersioned = true
	d.VersionData.DefaultVersion = "Default"
	d.VersionData.Versions = map[string]apidef.VersionInfo{"Default": {Name: "Default"}}
	d.Proxy.ListenPath = "/" + id + "/"
	d.Proxy.TargetURL = e.up.URL
	d.Proxy.StripListenPath = true
	d.CustomMiddleware.Driver = apidef.GoPluginDriver
	d.CustomMiddleware.AuthCheck = apidef.MiddlewareDefinition{Name: "LDAPAuth", Path: e.so}
	return d
}

// oasDef turns the settings of a classic definition into a Tyk OAS API read
// from JSON, as the gateway reads an OAS file.
func (e *env) oasDef(d *apidef.APIDefinition) *oas.OAS {
	e.t.Helper()
	info := map[string]interface{}{"id": d.APIID, "orgId": d.OrgID, "name": d.Name,
		"state": map[string]interface{}{"active": true, "internal": d.Internal}}
	if v := d.VersionDefinition; v.Enabled {
		info["versioning"] = oasVersioning(v)
	}
	doc := map[string]interface{}{
		"openapi": "3.0.3",
		"info":    map[string]interface{}{"title": d.Name, "version": "1.0.0"},
		"paths":   map[string]interface{}{},
		"x-tyk-api-gateway": map[string]interface{}{
			"info":     info,
			"upstream": map[string]interface{}{"url": d.Proxy.TargetURL},
			"server": map[string]interface{}{
				"listenPath": map[string]interface{}{"value": d.Proxy.ListenPath, "strip": true},
				"authentication": map[string]interface{}{
					"enabled": !d.UseKeylessAccess, "stripAuthorizationData": d.StripAuthData,
					"custom": map[string]interface{}{"enabled": true, "config": map[string]interface{}{
						"enabled": true, "functionName": d.CustomMiddleware.AuthCheck.Name, "path": d.CustomMiddleware.AuthCheck.Path,
					}},
				},
			},
			"middleware": map[string]interface{}{"global": map[string]interface{}{"pluginConfig": map[string]interface{}{
				"driver": "goplugin",
				"data":   map[string]interface{}{"enabled": !d.ConfigDataDisabled, "value": d.ConfigData},
			}}},
		},
	}
	var o oas.OAS
	jsonRoundTrip(e.t, doc, &o)
	return &o
}

// oasVersioning is a classic definition's versioning as Tyk OAS
// info.versioning (the reverse of what the gateway extracts).
func oasVersioning(v apidef.VersionDefinition) map[string]interface{} {
	versions := []map[string]interface{}{}
	for _, name := range slices.Sorted(maps.Keys(v.Versions)) {
		versions = append(versions, map[string]interface{}{"name": name, "id": v.Versions[name]})
	}
	return map[string]interface{}{
		"enabled": true, "name": v.Name, "default": v.Default, "location": v.Location, "key": v.Key,
		"versions": versions, "stripVersioningData": v.StripVersioningData, "fallbackToDefault": v.FallbackToDefault,
	}
}

// tokenAPI is a classic API protected by Tyk's standard token auth. Like
// every classic API it needs version_data: without it Tyk's VersionCheck
// answers 403 "Version information not found".
func (e *env) tokenAPI(id string) tykhost.APIs {
	d := &apidef.APIDefinition{Name: id, APIID: id, OrgID: "default", Active: true}
	d.VersionData.NotVersioned = true
	d.VersionData.DefaultVersion = "Default"
	d.VersionData.Versions = map[string]apidef.VersionInfo{"Default": {Name: "Default"}}
	d.Proxy.ListenPath = "/" + id + "/"
	d.Proxy.TargetURL = e.up.URL
	d.Proxy.StripListenPath = true
	return tykhost.APIs{Classic: []*apidef.APIDefinition{d}}
}
