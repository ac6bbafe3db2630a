package tykhost

import (
	"testing"
	"time"

	"github.com/TykTechnologies/tyk/apidef"
)

// versionedAPI is pluginAPI versioned the legacy way: versions v1 (the
// default) and v2, read from the X-Api-Version header.
func versionedAPI(so, target string) *apidef.APIDefinition {
	d := pluginAPI("ldap", "/ldap/", target, so)
	d.VersionData.NotVersioned = false
	d.VersionData.DefaultVersion = "v1"
	d.VersionData.Versions = map[string]apidef.VersionInfo{"v1": {Name: "v1"}, "v2": {Name: "v2"}}
	d.VersionDefinition.Location = apidef.HeaderLocation
	d.VersionDefinition.Key = "X-Api-Version"
	return d
}

// TestVersionRules covers VersionCheck (before authentication) and the
// version part of AccessRightsCheck for classic APIs, and what the plugin
// sees of the version.
func TestVersionRules(t *testing.T) {
	so := testPlugin(t)
	up := newUpstream(t)
	now := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	withVersion := func(name string, info apidef.VersionInfo) func(*apidef.APIDefinition) {
		return func(d *apidef.APIDefinition) { info.Name = name; d.VersionData.Versions[name] = info }
	}
	tests := []struct {
		name    string
		edit    func(*apidef.APIDefinition)
		path    string
		headers map[string]string
		// acl is the version list the session grants ("-": no access rights at all).
		acl          string
		wantStatus   int
		wantBody     string // checked when set
		wantProxied  bool
		wantSeenName string // ctx.VersionName as the plugin saw it
		wantSeenHdr  string // X-Api-Version as the plugin saw it
		wantUpstream string // request URI the upstream got, when proxied
		wantExpires  string // x-tyk-api-expires
	}{
		{name: "header names a granted version", headers: map[string]string{"X-Api-Version": "v2"}, acl: "v1,v2",
			wantStatus: 200, wantProxied: true, wantSeenName: "v2", wantSeenHdr: "v2", wantUpstream: "/get"},
		{name: "no version: the default one", acl: "v1",
			wantStatus: 200, wantProxied: true, wantUpstream: "/get"},
		{name: "a version the session does not grant", headers: map[string]string{"X-Api-Version": "v2"}, acl: "v1",
			wantStatus: 403, wantBody: tykError(msgAccessDenied), wantSeenName: "v2", wantSeenHdr: "v2"},
		{name: "the default version not granted", acl: "v2",
			wantStatus: 403, wantBody: tykError(msgAccessDenied)},
		{name: "a session without access rights may use any version", headers: map[string]string{"X-Api-Version": "v2"}, acl: "-",
			wantStatus: 200, wantProxied: true, wantSeenName: "v2", wantSeenHdr: "v2", wantUpstream: "/get"},
		{name: "unknown version: refused before the plugin runs", headers: map[string]string{"X-Api-Version": "v3"}, acl: "v1,v2",
			wantStatus: 403, wantBody: tykError(msgVersionDoesNotExist)},
		{name: "unknown version with fallback_to_default: the default grant admits it",
			edit:    func(d *apidef.APIDefinition) { d.VersionDefinition.FallbackToDefault = true },
			headers: map[string]string{"X-Api-Version": "v3"}, acl: "v1",
			wantStatus: 200, wantProxied: true, wantSeenName: "v3", wantSeenHdr: "v3", wantUpstream: "/get"},
		{name: "unknown version with fallback_to_default, default not granted",
			edit:    func(d *apidef.APIDefinition) { d.VersionDefinition.FallbackToDefault = true },
			headers: map[string]string{"X-Api-Version": "v3"}, acl: "v2",
			wantStatus: 403, wantBody: tykError(msgAccessDenied), wantSeenName: "v3", wantSeenHdr: "v3"},
		{name: "expired version", edit: withVersion("v2", apidef.VersionInfo{Expires: "2030-06-01 11:59"}),
			headers: map[string]string{"X-Api-Version": "v2"}, acl: "v1,v2",
			wantStatus: 403, wantBody: tykError(msgVersionExpired)},
		{name: "an expiry that does not parse counts as expired", edit: withVersion("v2", apidef.VersionInfo{Expires: "next week"}),
			headers: map[string]string{"X-Api-Version": "v2"}, acl: "v1,v2",
			wantStatus: 403, wantBody: tykError(msgVersionExpired)},
		{name: "a version expiring later is announced", edit: withVersion("v2", apidef.VersionInfo{Expires: "2030-06-01 12:01"}),
			headers: map[string]string{"X-Api-Version": "v2"}, acl: "v2",
			wantStatus: 200, wantProxied: true, wantSeenName: "v2", wantSeenHdr: "v2", wantUpstream: "/get",
			wantExpires: "Sat, 01 Jun 2030 12:01:00 UTC"},
		{name: "strip_versioning_data removes the header before the plugin",
			edit:    func(d *apidef.APIDefinition) { d.VersionDefinition.StripVersioningData = true },
			headers: map[string]string{"X-Api-Version": "v2"}, acl: "v2",
			wantStatus: 200, wantProxied: true, wantSeenName: "v2", wantUpstream: "/get"},
		{name: "url-param location, stripped: the query is re-encoded",
			edit: func(d *apidef.APIDefinition) {
				d.VersionDefinition.Location, d.VersionDefinition.Key, d.VersionDefinition.StripVersioningData = apidef.URLParamLocation, "version", true
			},
			path: "/ldap/get?z=1&version=v2&a=2", acl: "v2",
			wantStatus: 200, wantProxied: true, wantSeenName: "v2", wantUpstream: "/get?a=2&z=1"},
		{name: "url location, stripped",
			edit: func(d *apidef.APIDefinition) {
				d.VersionDefinition.Location, d.VersionDefinition.StripVersioningData = apidef.URLLocation, true
			},
			path: "/ldap/v2/get", acl: "v2",
			wantStatus: 200, wantProxied: true, wantSeenName: "v2", wantUpstream: "/get"},
		{name: "url location: a segment the pattern rejects is still the version, just not stripped",
			edit: func(d *apidef.APIDefinition) {
				d.VersionDefinition.Location, d.VersionDefinition.StripVersioningData = apidef.URLLocation, true
				d.VersionDefinition.UrlVersioningPattern = "^x"
			},
			path: "/ldap/v2/get", acl: "v2",
			wantStatus: 200, wantProxied: true, wantSeenName: "v2", wantUpstream: "/v2/get"},
		{name: "url location: the first segment is the version",
			edit: func(d *apidef.APIDefinition) { d.VersionDefinition.Location = apidef.URLLocation },
			path: "/ldap/get", acl: "v1,v2",
			wantStatus: 403, wantBody: tykError(msgVersionDoesNotExist)},
		{name: "versioned without a default: no version is an error",
			edit: func(d *apidef.APIDefinition) { d.VersionData.DefaultVersion = "" }, acl: "v1,v2",
			wantStatus: 403, wantBody: tykError(msgVersionNotFound)},
		{name: "no version_data at all: no version is an error",
			edit: func(d *apidef.APIDefinition) {
				d.VersionData = apidef.VersionData{}
				d.VersionDefinition = apidef.VersionDefinition{}
			},
			acl: "Default", wantStatus: 403, wantBody: tykError(msgVersionNotFound)},
		{name: "not versioned: the session's version list does not matter",
			edit: func(d *apidef.APIDefinition) {
				d.VersionData.NotVersioned = true
				d.VersionData.Versions = map[string]apidef.VersionInfo{"Default": {}}
			},
			headers: map[string]string{"X-Api-Version": "v9"}, acl: "none",
			wantStatus: 200, wantProxied: true, wantSeenHdr: "v9", wantUpstream: "/get"},
		{name: "not versioned with two default versions",
			edit: func(d *apidef.APIDefinition) {
				d.VersionData.NotVersioned = true
				d.VersionData.Versions = map[string]apidef.VersionInfo{"Default": {}, "": {}}
			},
			acl: "Default", wantStatus: 403, wantBody: tykError(msgVersionAmbiguous)},
		{name: "not versioned without a default version",
			edit: func(d *apidef.APIDefinition) {
				d.VersionData.NotVersioned = true
			},
			acl: "v1", wantStatus: 403, wantBody: tykError(msgVersionDefaultNotFound)},
		{name: "keyless APIs are version-checked too",
			edit:    func(d *apidef.APIDefinition) { d.UseKeylessAccess = true },
			headers: map[string]string{"X-Api-Version": "v3"}, acl: "-",
			wantStatus: 403, wantBody: tykError(msgVersionDoesNotExist)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := versionedAPI(so, up.URL)
			if tc.edit != nil {
				tc.edit(d)
			}
			h, srv := startHost(t, Options{Now: func() time.Time { return now }}, APIs{Classic: []*apidef.APIDefinition{d}})
			headers := map[string]string{"X-Test-User": "alice"}
			if tc.acl != "-" {
				headers["X-Test-ACL"], headers["X-Test-ACL-Versions"] = "ldap", tc.acl
			}
			for k, v := range tc.headers {
				headers[k] = v
			}
			path := tc.path
			if path == "" {
				path = "/ldap/get"
			}
			before := up.count()
			got := do(t, srv, "GET", path, headers, "")
			if got.status != tc.wantStatus || (tc.wantBody != "" && got.body != tc.wantBody) {
				t.Fatalf("got %d %q, want %d %q", got.status, got.body, tc.wantStatus, tc.wantBody)
			}
			if proxied := up.count() > before; proxied != tc.wantProxied {
				t.Fatalf("proxied = %v, want %v", proxied, tc.wantProxied)
			}
			if rec := lastRecord(t, h); rec.Status != tc.wantStatus {
				t.Fatalf("recorded %d, want %d", rec.Status, tc.wantStatus)
			}
			if n, v := got.header.Get("X-Seen-Version-Name"), got.header.Get("X-Seen-Version-Header"); n != tc.wantSeenName || v != tc.wantSeenHdr {
				t.Fatalf("plugin saw version name %q and header %q, want %q and %q", n, v, tc.wantSeenName, tc.wantSeenHdr)
			}
			if e := got.header.Get(headerAPIExpires); e != tc.wantExpires {
				t.Fatalf("%s = %q, want %q", headerAPIExpires, e, tc.wantExpires)
			}
			if !tc.wantProxied {
				return
			}
			req, _ := up.last()
			if req.URL.RequestURI() != tc.wantUpstream {
				t.Fatalf("upstream got %s, want %s", req.URL.RequestURI(), tc.wantUpstream)
			}
			if stripped := tc.wantSeenHdr == "" && tc.headers["X-Api-Version"] != ""; stripped && req.Header.Get("X-Api-Version") != "" {
				t.Fatal("a stripped version header reached the upstream")
			}
		})
	}
}
