package tykhost

import (
	"net/http"
	"testing"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/apidef/oas"
)

func TestLoopingName(t *testing.T) {
	tests := []struct{ name, want string }{
		{"people", "people"},
		{"People API", "People-API"},
		{"People API #internal", "People-API"},
		{"a  b--c_d", "a-b-c-d"},
		{"Café", "Caf-"},
		{"#tag", ""},
		{"x#tag", ""},
	}
	for _, tc := range tests {
		if got := loopingName(tc.name); got != tc.want {
			t.Errorf("loopingName(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestFindAPI(t *testing.T) {
	specs := []*apiSpec{{apiID: "a1", name: "First API"}, {apiID: "b2", name: "a1"}, {apiID: "c3", name: "Third #x"}}
	table := &routeTable{loaded: specs}
	tests := []struct{ search, want string }{
		{"a1", "a1"}, // the ID of one, the looping name of another: the first in load order
		{"b2", "b2"},
		{"first-api", "a1"},
		{"FIRST-API", "a1"},
		{"First API", ""}, // names match only in their looping form
		{"Third", "c3"},
		{"", ""},
		{"nope", ""},
	}
	for _, tc := range tests {
		got := ""
		if s := table.findAPI(tc.search); s != nil {
			got = s.apiID
		}
		if got != tc.want {
			t.Errorf("findAPI(%q) = %q, want %q", tc.search, got, tc.want)
		}
	}
}

// TestTargetURLLoops runs requests through APIs whose target URL is
// tyk://…, checking what the next API's chain and its plugin get.
func TestTargetURLLoops(t *testing.T) {
	so := testPlugin(t)
	up := newUpstream(t)
	loopTo := func(d *apidef.APIDefinition, target string) *apidef.APIDefinition {
		d.Proxy.TargetURL = target
		return d
	}
	keyless := func(d *apidef.APIDefinition) *apidef.APIDefinition {
		d.UseKeylessAccess, d.CustomPluginAuthEnabled = true, false
		return d
	}
	internal := func(d *apidef.APIDefinition) *apidef.APIDefinition { d.Internal = true; return d }
	named := func(d *apidef.APIDefinition, name string) *apidef.APIDefinition { d.Name = name; return d }
	oasLoop := oasAPI(t, "oas-a", "/oas-a/", "tyk://classic-b/", so)
	h, srv := startHost(t, Options{}, APIs{
		Classic: []*apidef.APIDefinition{
			loopTo(pluginAPI("classic-a", "/classic-a/", up.URL, so), "tyk://oas-b/ignored/path"),
			pluginAPI("classic-b", "/classic-b/", up.URL+"/from-b", so),
			loopTo(keyless(pluginAPI("keyless-a", "/keyless-a/", up.URL, so)), "tyk://oas-b/"),
			loopTo(pluginAPI("by-name", "/by-name/", up.URL, so), "tyk://hidden-api/"),
			named(internal(pluginAPI("hidden", "/hidden/", up.URL+"/hidden", so)), "Hidden API #internal"),
			loopTo(pluginAPI("lost", "/lost/", up.URL, so), "tyk://no-such-api/"),
		},
		OAS: []*oas.OAS{oasAPI(t, "oas-b", "/oas-b/", up.URL+"/from-oas-b", so), oasLoop},
	})

	tests := []routeCase{
		{name: "classic into OAS: both definitions, the first API's session",
			path: "/classic-a/x?q=1", headers: map[string]string{"X-Test-User": "alice", "X-Test-ACL": "classic-a,oas-b"},
			wantStatus: 200, wantPath: "/from-oas-b/x?q=1", wantAPI: "oas-b", wantVia: []string{"classic-a"},
			wantSeen: map[string]string{"X-Seen-OAS-ID": "oas-b", "X-Seen-API-ID": "classic-a", "X-Seen-Classic": "", "X-Seen-Session-Before": "yes"}},
		{name: "OAS into classic: both definitions",
			path: "/oas-a/y", headers: map[string]string{"X-Test-User": "alice", "X-Test-ACL": "oas-a,classic-b"},
			wantStatus: 200, wantPath: "/from-b/y", wantAPI: "classic-b", wantVia: []string{"oas-a"},
			wantSeen: map[string]string{"X-Seen-API-ID": "classic-b", "X-Seen-OAS-ID": "oas-a", "X-Seen-Session-Before": "yes"}},
		{name: "keyless classic into OAS: only the OAS definition",
			path: "/keyless-a/z", headers: map[string]string{"X-Test-User": "alice"},
			wantStatus: 200, wantPath: "/from-oas-b/z", wantAPI: "oas-b", wantVia: []string{"keyless-a"},
			wantSeen: map[string]string{"X-Seen-Classic": "none", "X-Seen-OAS-ID": "oas-b", "X-Seen-Session-Before": ""}},
		{name: "the next API's access rights are checked against its own ID",
			path: "/classic-a/", headers: map[string]string{"X-Test-User": "alice", "X-Test-ACL": "classic-a"},
			wantStatus: 403, wantBody: tykError(msgAccessDenied), wantAPI: "oas-b", wantVia: []string{"classic-a"}},
		{name: "the next API's plugin decides",
			path: "/keyless-a/", headers: map[string]string{"X-Test-Mode": "deny"},
			wantStatus: 401, wantBody: "denied by plugin", wantAPI: "oas-b", wantVia: []string{"keyless-a"}},
		{name: "target by looping name, into an internal API",
			path: "/by-name/n", headers: map[string]string{"X-Test-User": "alice"},
			wantStatus: 200, wantPath: "/hidden/n", wantAPI: "hidden", wantVia: []string{"by-name"}},
		{name: "an internal API has no route", path: "/hidden/n", headers: map[string]string{"X-Test-User": "alice"},
			wantStatus: 404},
		{name: "unknown target: 500 from the looping API",
			path: "/lost/", headers: map[string]string{"X-Test-User": "alice"},
			wantStatus: 500, wantBody: tykError(msgLoopTargetNotFound), wantAPI: "lost"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, h, srv, up) })
	}
}

// TestLoopKeepsVersionNameAndResetsVersionInfo loops a request between two
// classic APIs versioned the legacy way. The version name the first API read
// (and stripped) is what the second one uses; the version info is looked up
// again, so the second API's own expiry applies.
func TestLoopKeepsVersionNameAndResetsVersionInfo(t *testing.T) {
	so := testPlugin(t)
	up := newUpstream(t)
	first := versionedAPI(so, "tyk://second/")
	first.VersionDefinition.StripVersioningData = true
	second := versionedAPI(so, up.URL)
	second.APIID, second.Name, second.Proxy.ListenPath = "second", "second", "/second/"
	_, srv := startHost(t, Options{}, APIs{Classic: []*apidef.APIDefinition{first, second}})
	alice := map[string]string{"X-Test-User": "alice", "X-Api-Version": "v2", "X-Test-ACL": "ldap,second", "X-Test-Acl-Versions": "v2"}

	got := do(t, srv, "GET", "/ldap/", alice, "")
	if got.status != 200 || got.header.Get("X-Seen-Version-Name") != "v2" || got.header.Get("X-Seen-Version-Header") != "" {
		t.Fatalf("got %d, version name %q, header %q; want 200 for v2 with the header stripped by the first API",
			got.status, got.header.Get("X-Seen-Version-Name"), got.header.Get("X-Seen-Version-Header"))
	}

	second.VersionData.Versions["v2"] = apidef.VersionInfo{Name: "v2", Expires: "2001-01-01 00:00"}
	_, srv = startHost(t, Options{}, APIs{Classic: []*apidef.APIDefinition{first, second}})
	if got := do(t, srv, "GET", "/ldap/", alice, ""); got.status != 403 || got.body != tykError(msgVersionExpired) {
		t.Fatalf("second API's v2 expired: got %d %q, want 403 %q", got.status, got.body, msgVersionExpired)
	}
}

// TestLoopCycles: Tyk counts no target_url hops, so a cycle ends only when
// a limit does; the host drops a cycle that runs past maxInternalHops.
func TestLoopCycles(t *testing.T) {
	so := testPlugin(t)
	up := newUpstream(t)
	self := pluginAPI("self-loop", "/self-loop/", "tyk://self-loop/", so)
	ping := pluginAPI("ping", "/ping/", "tyk://pong/", so)
	pong := pluginAPI("pong", "/pong/", "tyk://ping/", so)
	pong.UseKeylessAccess, pong.CustomPluginAuthEnabled = true, false
	h, srv := startHost(t, Options{}, APIs{Classic: []*apidef.APIDefinition{self, ping, pong}})

	limited := map[string]string{"X-Test-User": "alice", "X-Test-Rate": "3/60"}
	got := do(t, srv, "GET", "/self-loop/", limited, "")
	if got.status != 429 || got.body != tykError(msgRateLimited) {
		t.Fatalf("self loop with a rate of 3 per minute: got %d %q, want 429", got.status, got.body)
	}
	if rec := lastRecord(t, h); len(rec.Via) != 3 || rec.APIID != "self-loop" {
		t.Fatalf("record %+v, want the fourth pass through self-loop refused", rec)
	}

	h.ResetAnalytics()
	req, _ := http.NewRequest("GET", srv.URL+"/ping/", nil)
	req.Header.Set("X-Test-User", "bob")
	resp, err := srv.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("an unlimited cycle answered %d, want the connection dropped", resp.StatusCode)
	}
	if len(h.Analytics()) != 0 || up.count() != 0 {
		t.Fatalf("a dropped cycle must not be recorded or proxied: %v, %d hits", h.Analytics(), up.count())
	}
}

func TestLoopTargetNeedsNoHostAtLoad(t *testing.T) {
	so := testPlugin(t)
	d := pluginAPI("empty", "/empty/", "tyk:///path", so)
	_, srv := startHost(t, Options{}, APIs{Classic: []*apidef.APIDefinition{d}})
	if got := do(t, srv, "GET", "/empty/", map[string]string{"X-Test-User": "alice"}, ""); got.status != 500 || got.body != tykError(msgLoopTargetNotFound) {
		t.Fatalf("got %d %q, want 500 %q", got.status, got.body, msgLoopTargetNotFound)
	}
}
