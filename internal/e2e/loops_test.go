package e2e

import (
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/user"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost/plugintest"
)

// loopTo points the API's target URL at another API of the gateway.
func loopTo(apiID string) apiOption {
	return func(d *apidef.APIDefinition) { d.Proxy.TargetURL = "tyk://" + apiID + "/" }
}

// keyless turns authentication off for the API.
func keyless(d *apidef.APIDefinition) { d.UseKeylessAccess, d.CustomPluginAuthEnabled = true, false }

// internalAPI gives the API no listen path route of its own.
func internalAPI(d *apidef.APIDefinition) { d.Internal = true }

// authBy makes another Go plugin the API's auth_check.
func authBy(path, symbol string) apiOption {
	return func(d *apidef.APIDefinition) {
		d.CustomMiddleware.AuthCheck = apidef.MiddlewareDefinition{Name: symbol, Path: path}
	}
}

// developersOnly is the second API's configuration in these tests: its own
// realm, and only members of developers (alice, not carol), whose groups it
// sends upstream.
func (e *env) developersOnly(realm string) map[string]interface{} {
	return e.direct("realm", realm, "group_source", "memberof", "group_base_dn", slapdtest.GroupsDN,
		"required_groups", []string{"developers"}, "groups_header", "X-Authenticated-Groups")
}

// accessRights returns the sorted API IDs the stored session under keyID
// grants.
func (e *env) accessRights(keyID string) []string {
	e.t.Helper()
	s, ok := e.host.Sessions().Get(keyID)
	if !ok {
		e.t.Fatalf("no session stored under %q", keyID)
	}
	return slices.Sorted(maps.Keys(s.AccessRights))
}

// TestLoopsBetweenLDAPAPIs: API A (LDAPAuth, realm "A", any user of the
// directory) has target tyk://B, and B (LDAPAuth, realm "B", developers
// only) decides the request again with its own configuration, in both
// orders of classic and Tyk OAS. A request refused by A never reaches B;
// one A lets through is refused by B when B's rules say so, and the
// upstream, the session and Tyk's access-rights check are B's.
func TestLoopsBetweenLDAPAPIs(t *testing.T) {
	e := newEnv(t)
	orders := [][2]flavour{{classic, tykOAS}, {tykOAS, classic}}
	var apis []tykhost.APIs
	for _, o := range orders {
		a, hiding, withPolicy, b := loopIDs(o)
		apis = append(apis,
			e.api(o[0], a, e.direct("realm", "A", "hide_credentials", false), loopTo(b)),
			e.api(o[0], hiding, e.direct("realm", "A"), loopTo(b)),
			e.api(o[0], withPolicy, e.direct("realm", "A", "hide_credentials", false, "policies", []string{withPolicy}), loopTo(b)),
			e.api(o[1], b, e.developersOnly("B")),
		)
		// A policy granting both APIs: Tyk applies it to A's session, which
		// then names A and B when the request arrives in B.
		e.host.Policies().Set(user.Policy{ID: withPolicy, OrgID: "default", AccessRights: map[string]user.AccessDefinition{
			withPolicy: {APIID: withPolicy, Versions: []string{"Default"}},
			b:          {APIID: b, Versions: []string{"Default"}},
		}})
	}
	e.load(apis...)

	for _, o := range orders {
		a, hiding, withPolicy, b := loopIDs(o)
		t.Run(string(o[0])+" into "+string(o[1]), func(t *testing.T) {
			cases := []struct {
				name, api, user, pass string
				status                int
				msg, challenge        string
				wantAPI               string   // the API that answered (analytics)
				wantVia               []string // the APIs that passed it on
			}{
				{name: "allowed by both: B's identity upstream", api: a, user: "alice", pass: "alice-pass-1",
					status: 200, wantAPI: b, wantVia: []string{a}},
				{name: "allowed by A, refused by B's required_groups", api: a, user: "carol", pass: "carol-pass-1",
					status: 403, msg: msgForbidden, wantAPI: b, wantVia: []string{a}},
				{name: "refused by A: B never runs", api: a, user: "alice", pass: "wrong-pass",
					status: 401, msg: msgInvalid, challenge: challenge("A"), wantAPI: a},
				{name: "A hides the credentials (the default): B gets none", api: hiding, user: "alice", pass: "alice-pass-1",
					status: 401, msg: msgMissing, challenge: challenge("B"), wantAPI: b, wantVia: []string{hiding}},
				{name: "A's policy grants A and B: B still tells the APIs apart", api: withPolicy, user: "alice", pass: "alice-pass-1",
					status: 200, wantAPI: b, wantVia: []string{withPolicy}},
				{name: "B on its own", api: b, user: "alice", pass: "alice-pass-1",
					status: 200, wantAPI: b},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					r, rec := e.record(func() reply { return e.as(tc.api, tc.user, tc.pass) })
					if tc.status == 200 {
						checkGranted(t, r, tc.user)
						if got := r.seen.Header.Values("X-Authenticated-Groups"); len(got) != 1 || got[0] != "developers" {
							t.Errorf("upstream groups %q, want B's [developers]", got)
						}
						if got := e.accessRights(rec.KeyID); !reflect.DeepEqual(got, []string{b}) {
							t.Errorf("the answering session grants %v, want only %s", got, b)
						}
					} else {
						checkDenial(t, r, tc.status, tc.msg, tc.challenge)
					}
					if rec.APIID != tc.wantAPI || !reflect.DeepEqual(rec.Via, tc.wantVia) || rec.Status != tc.status {
						t.Errorf("record %+v, want api %s via %v status %d", rec, tc.wantAPI, tc.wantVia, tc.status)
					}
				})
			}
		})
	}

	// Every API that granted alice stored a session of its own for her:
	// each first API's (granting it, or it and B through the policy) beside
	// B's.
	t.Run("one session per API", func(t *testing.T) {
		var got, want []string
		for _, k := range e.host.Sessions().Keys() {
			if s, _ := e.host.Sessions().Get(k); s.Alias == "alice" {
				got = append(got, strings.Join(e.accessRights(k), ","))
			}
		}
		for _, o := range orders {
			a, hiding, withPolicy, b := loopIDs(o)
			want = append(want, a, hiding, strings.Join(slices.Sorted(slices.Values([]string{withPolicy, b})), ","), b)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("alice's sessions grant %v, want %v", got, want)
		}
	})
}

// loopIDs names the APIs of one order in TestLoopsBetweenLDAPAPIs.
func loopIDs(o [2]flavour) (a, hiding, withPolicy, b string) {
	first, second := string(o[0]), string(o[1])
	return "loop-" + first + "-a", "loop-" + first + "-hiding", "loop-" + first + "-policy", "loop-" + second + "-b"
}

// TestLoopsFromAPIsWithoutLDAPAuth loops into an LDAPAuth API from APIs
// that LDAPAuth does not authenticate. From a keyless API without a plugin
// only the second API's definition is in the context, and it decides. From
// an API authenticated by another Go plugin, Tyk leaves the first API's
// definition in the context beside the second's (one classic, one OAS),
// with a session LDAPAuth did not make: nothing tells which API is running,
// and the plugin answers 500 rather than guess.
func TestLoopsFromAPIsWithoutLDAPAuth(t *testing.T) {
	e := newEnv(t)
	other := plugintest.BuildPlugin(t, "../tykhost/testdata/testplugin")
	orders := [][2]flavour{{classic, tykOAS}, {tykOAS, classic}}
	var apis []tykhost.APIs
	for _, o := range orders {
		open, foreign, b := foreignIDs(o)
		apis = append(apis,
			e.api(o[0], open, nil, keyless, loopTo(b)),
			e.api(o[0], foreign, nil, authBy(other, "AuthCheck"), loopTo(b)),
			e.api(o[1], b, e.developersOnly("B"), internalAPI),
		)
	}
	e.load(apis...)

	for _, o := range orders {
		open, foreign, b := foreignIDs(o)
		t.Run(string(o[0])+" into "+string(o[1]), func(t *testing.T) {
			r, rec := e.record(func() reply { return e.as(open, "alice", "alice-pass-1") })
			checkGranted(t, r, "alice")
			if got := e.accessRights(rec.KeyID); rec.APIID != b || !reflect.DeepEqual(got, []string{b}) {
				t.Errorf("keyless first API: answered by %s with a session granting %v, want %s", rec.APIID, got, b)
			}
			checkDenial(t, e.as(open, "carol", "carol-pass-1"), 403, msgForbidden, "")
			checkDenial(t, e.as(open, "alice", "wrong-pass"), 401, msgInvalid, challenge("B"))

			// The other plugin makes a session for X-Test-User.
			viaOther := http.Header{"Authorization": {basic("alice", "alice-pass-1")}, "X-Test-User": {"someone"}}
			r, rec = e.record(func() reply { return e.do("/"+foreign+"/", viaOther) })
			checkDenial(t, r, 500, msgMisconfigured, "")
			if rec.APIID != b || !reflect.DeepEqual(rec.Via, []string{foreign}) || rec.KeyID != "test:someone" {
				t.Errorf("record %+v, want %s's 500 with the other plugin's session", rec, b)
			}

			if got := e.do("/"+b+"/", http.Header{"Authorization": {basic("alice", "alice-pass-1")}}); got.status != http.StatusNotFound {
				t.Errorf("internal API %s answered %d on its own listen path, want 404", b, got.status)
			}
		})
	}
	if lines := logLines(gatewayLog.since(0), "tyk:// loop", "was not authenticated by LDAPAuth"); len(lines) == 0 {
		t.Error("the refused loop was not logged")
	}
}

// foreignIDs names the APIs of one order in TestLoopsFromAPIsWithoutLDAPAuth.
func foreignIDs(o [2]flavour) (open, foreign, b string) {
	first, second := string(o[0]), string(o[1])
	return "from-" + first + "-keyless", "from-" + first + "-other-plugin", "from-" + first + "-into-" + second
}
