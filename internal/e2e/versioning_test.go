package e2e

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/TykTechnologies/tyk/apidef"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
)

// versionedBy makes the API the base of Tyk OAS versioning: its own version
// is v1 (the default), the others are separate APIs, and the version name is
// read from location under key and stripped.
func versionedBy(location, key string, versions map[string]string) apiOption {
	return func(d *apidef.APIDefinition) {
		d.VersionDefinition = apidef.VersionDefinition{Enabled: true, Name: "v1", Default: "v1",
			Location: location, Key: key, StripVersioningData: true, Versions: versions}
	}
}

// versionRequest is the path and headers of a request for version on the
// base API, the version named where the base reads it ("" names none).
func versionRequest(base, location, version string, h http.Header) (string, http.Header) {
	switch {
	case version == "":
		return "/" + base + "/x", h
	case location == apidef.HeaderLocation:
		h.Set("X-Api-Version", version)
		return "/" + base + "/x", h
	case location == apidef.URLParamLocation:
		return "/" + base + "/x?version=" + version, h
	default:
		return "/" + base + "/" + version + "/x", h
	}
}

// TestOASVersionedAPI: Tyk OAS base APIs (LDAPAuth, realm "v1", any user)
// whose version v2 is a separate, internal Tyk OAS API (LDAPAuth, realm
// "v2", developers only), one base per place the version name can be. A
// request for v2 goes through the base's listen path but is decided by v2's
// configuration alone: the base's plugin never runs for it, the session
// names v2's API ID, and Tyk's access-rights check for v2 passes. Requests
// for v1 are the base's.
func TestOASVersionedAPI(t *testing.T) {
	e := newEnv(t)
	const v2 = "ver-v2"
	bases := map[string]string{
		apidef.HeaderLocation:   "ver-header",
		apidef.URLParamLocation: "ver-query",
		apidef.URLLocation:      "ver-url",
	}
	keys := map[string]string{apidef.HeaderLocation: "X-Api-Version", apidef.URLParamLocation: "version"}
	apis := []tykhost.APIs{e.api(tykOAS, v2, e.developersOnly("v2"), internalAPI)}
	for location, base := range bases {
		apis = append(apis, e.api(tykOAS, base, e.direct("realm", "v1"), versionedBy(location, keys[location], map[string]string{"v2": v2})))
	}
	// A base whose v2 API is not loaded.
	apis = append(apis, e.api(tykOAS, "ver-orphan", e.direct("realm", "v1"),
		versionedBy(apidef.HeaderLocation, "X-Api-Version", map[string]string{"v2": "ver-gone"})))
	e.load(apis...)

	for location, base := range bases {
		t.Run(location, func(t *testing.T) {
			type versionCase struct {
				name, version, user, pass string
				status                    int
				msg, challenge            string
				wantAPI                   string // answered by
				wantVia                   []string
			}
			cases := []versionCase{
				{name: "v1 by name: the base's rules", version: "v1", user: "carol", pass: "carol-pass-1",
					status: 200, wantAPI: base},
				{name: "v1, wrong password: the base's realm", version: "v1", user: "alice", pass: "wrong-pass",
					status: 401, msg: msgInvalid, challenge: challenge("v1"), wantAPI: base},
				{name: "v2: v2's rules", version: "v2", user: "alice", pass: "alice-pass-1",
					status: 200, wantAPI: v2, wantVia: []string{base}},
				{name: "v2 refuses a user the base allows", version: "v2", user: "carol", pass: "carol-pass-1",
					status: 403, msg: msgForbidden, wantAPI: v2, wantVia: []string{base}},
				{name: "v2, wrong password: v2's realm", version: "v2", user: "alice", pass: "wrong-pass",
					status: 401, msg: msgInvalid, challenge: challenge("v2"), wantAPI: v2, wantVia: []string{base}},
				{name: "an unknown version: Tyk's 404, no directory traffic", version: "v3", user: "alice", pass: "alice-pass-1",
					status: 404, msg: "This API version does not seem to exist", wantAPI: base},
			}
			if location != apidef.URLLocation {
				// With the version in the path, none there means the
				// first segment is taken for one (see below).
				cases = append(cases, versionCase{name: "no version: the default, the base", user: "carol", pass: "carol-pass-1", status: 200, wantAPI: base})
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					path, h := versionRequest(base, location, tc.version, http.Header{"Authorization": {basic(tc.user, tc.pass)}})
					before := e.counts()
					r, rec := e.record(func() reply { return e.do(path, h) })
					binds := e.counts().Sub(before).Binds
					switch {
					case tc.status == 200:
						checkGranted(t, r, tc.user)
						if r.seen.Path != "/x" || r.seen.Header.Get("X-Api-Version") != "" {
							t.Errorf("upstream got %s with X-Api-Version %q, want /x without the version", r.seen.Path, r.seen.Header.Get("X-Api-Version"))
						}
						wantGroups := map[string][]string{base: nil, v2: {"developers"}}[tc.wantAPI]
						if got := r.seen.Header.Values("X-Authenticated-Groups"); !reflect.DeepEqual(got, wantGroups) {
							t.Errorf("upstream groups %q, want %q (set by %s)", got, wantGroups, tc.wantAPI)
						}
						if got := e.accessRights(rec.KeyID); !reflect.DeepEqual(got, []string{tc.wantAPI}) {
							t.Errorf("session grants %v, want only %s", got, tc.wantAPI)
						}
					case tc.status == 404:
						if r.status != 404 || r.body != "{\n    \"error\": \""+tc.msg+"\"\n}" || binds != 0 {
							t.Errorf("got %d %q after %d binds, want Tyk's 404 %q and no bind", r.status, r.body, binds, tc.msg)
						}
					default:
						checkDenial(t, r, tc.status, tc.msg, tc.challenge)
					}
					if rec.APIID != tc.wantAPI || !reflect.DeepEqual(rec.Via, tc.wantVia) || rec.Status != tc.status {
						t.Errorf("record %+v, want api %s via %v status %d", rec, tc.wantAPI, tc.wantVia, tc.status)
					}
				})
			}
		})
	}

	t.Run("the first path segment is the version", func(t *testing.T) {
		r := e.do("/ver-url/x", http.Header{"Authorization": {basic("alice", "alice-pass-1")}})
		if r.status != 404 {
			t.Errorf("/ver-url/x (version x) got %d, want 404", r.status)
		}
	})
	t.Run("the version API has no route of its own", func(t *testing.T) {
		if r := e.do("/"+v2+"/x", http.Header{"Authorization": {basic("alice", "alice-pass-1")}}); r.status != 404 {
			t.Errorf("internal %s answered %d, want 404", v2, r.status)
		}
	})
	t.Run("version API not loaded", func(t *testing.T) {
		path, h := versionRequest("ver-orphan", apidef.HeaderLocation, "v2", http.Header{"Authorization": {basic("alice", "alice-pass-1")}})
		if r := e.do(path, h); r.status != 404 || r.seen != nil {
			t.Errorf("v2 of ver-orphan got %d, want 404", r.status)
		}
		checkGranted(t, e.as("ver-orphan", "carol", "carol-pass-1"), "carol")
	})
}
