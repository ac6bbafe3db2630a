package e2e

import (
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/TykTechnologies/tyk/user"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// TestGroupAccess checks required_groups through the loaded plugin, with
// groups from memberOf and from a group search, by name and by DN, nested
// and flat, and with a posixGroup: members get 200, others a 403 without a
// WWW-Authenticate challenge and without a session.
func TestGroupAccess(t *testing.T) {
	e := newEnv(t)
	groupSearch := func(pairs ...interface{}) map[string]interface{} {
		return e.search(append([]interface{}{"group_source", "search", "group_base_dn", slapdtest.GroupsDN}, pairs...)...)
	}
	memberOf := func(pairs ...interface{}) map[string]interface{} {
		return e.direct(append([]interface{}{"group_source", "memberof", "group_base_dn", slapdtest.GroupsDN}, pairs...)...)
	}
	devs := []string{"developers"}
	eng := []string{"engineering"}
	e.load(
		e.api(classic, "grp-memberof", memberOf("required_groups", devs)),
		e.api(tykOAS, "grp-search", groupSearch("required_groups", devs)),
		e.api(classic, "grp-dn", memberOf("required_groups", []string{slapdtest.DevelopersDN})),
		e.api(classic, "grp-nested-memberof", e.search("group_source", "memberof", "group_base_dn", slapdtest.GroupsDN, "nested_groups", true, "required_groups", eng)),
		e.api(classic, "grp-flat-memberof", e.search("group_source", "memberof", "group_base_dn", slapdtest.GroupsDN, "required_groups", eng)),
		e.api(tykOAS, "grp-nested-search", groupSearch("nested_groups", true, "required_groups", eng)),
		e.api(classic, "grp-flat-search", groupSearch("required_groups", eng)),
		e.api(classic, "grp-posix", groupSearch("required_groups", []string{"testgroup"})),
	)
	cases := []struct {
		api, user, pass string
		status          int
	}{
		{"grp-memberof", "alice", "alice-pass-1", 200},
		{"grp-memberof", "carol", "carol-pass-1", 403},
		{"grp-memberof", "bob", "bob-pass-1", 403},
		{"grp-search", "alice", "alice-pass-1", 200},
		{"grp-search", "carol", "carol-pass-1", 403},
		{"grp-dn", "alice", "alice-pass-1", 200},
		{"grp-dn", "carol", "carol-pass-1", 403},
		{"grp-nested-memberof", "alice", "alice-pass-1", 200},
		{"grp-nested-memberof", "bob", "bob-pass-1", 403},
		{"grp-flat-memberof", "alice", "alice-pass-1", 403},
		{"grp-nested-search", "alice", "alice-pass-1", 200},
		{"grp-nested-search", "carol", "carol-pass-1", 403},
		{"grp-flat-search", "alice", "alice-pass-1", 403},
		{"grp-posix", "test", "test123", 200},
		{"grp-posix", "alice", "alice-pass-1", 403},
		// A wrong password stays a 401 on a group-restricted API.
		{"grp-search", "carol", "wrong-pass", 401},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%s/%d", tc.api, tc.user, tc.status), func(t *testing.T) {
			stored := len(e.host.Sessions().Keys())
			// Twice: the refusal must hold for a cached decision too.
			for _, round := range []string{"cold", "cached"} {
				r, rec := e.record(func() reply { return e.as(tc.api, tc.user, tc.pass) })
				switch tc.status {
				case 200:
					checkGranted(t, r, tc.user)
					continue
				case 403:
					checkDenial(t, r, 403, msgForbidden, "")
				default:
					checkDenial(t, r, 401, msgInvalid, challenge("Restricted"))
				}
				if rec.KeyID != "" || rec.Alias != "" {
					t.Errorf("%s: refused request carries a session: %+v", round, rec)
				}
			}
			if tc.status != 200 && len(e.host.Sessions().Keys()) != stored {
				t.Error("a refused user's session was stored")
			}
		})
	}
}

// TestGroupPolicies maps groups to Tyk policies: everyone gets ldap-users
// (2 requests a minute), admins also get ldap-admins (100 a minute), and
// Tyk's rate limiter enforces the result per user.
func TestGroupPolicies(t *testing.T) {
	e := newEnv(t)
	const api = "grp-policies"
	access := map[string]user.AccessDefinition{api: {APIID: api, Versions: []string{"Default"}}}
	e.host.Policies().Set(
		user.Policy{ID: "ldap-users", OrgID: "default", Rate: 2, Per: 60, AccessRights: access},
		user.Policy{ID: "ldap-admins", OrgID: "default", Rate: 100, Per: 60, AccessRights: access},
	)
	e.load(e.api(classic, api, e.direct("policies", []string{"ldap-users"},
		"group_source", "memberof", "group_base_dn", slapdtest.GroupsDN, "group_policies", map[string][]string{"admins": {"ldap-admins"}})))

	var bobKey, aliceKey string
	for i := 1; i <= 8; i++ {
		r, rec := e.record(func() reply { return e.as(api, "bob", "bob-pass-1") })
		checkGranted(t, r, "bob")
		bobKey = rec.KeyID
	}
	for i := 1; i <= 3; i++ {
		r, rec := e.record(func() reply { return e.as(api, "alice", "alice-pass-1") })
		if i < 3 {
			checkGranted(t, r, "alice")
			aliceKey = rec.KeyID
			continue
		}
		if r.status != http.StatusTooManyRequests || r.seen != nil {
			t.Fatalf("alice's 3rd request: status %d, want 429 from ldap-users (2 per 60s)", r.status)
		}
	}
	for key, want := range map[string][]string{bobKey: {"ldap-users", "ldap-admins"}, aliceKey: {"ldap-users"}} {
		s, ok := e.host.Sessions().Get(key)
		if !ok || !reflect.DeepEqual(s.ApplyPolicies, want) {
			t.Errorf("session %s: %+v, want policies %v", key, s, want)
		}
	}
}

// TestIdentityHeadersAndMetadata checks groups_header, attribute_headers and
// metadata_attributes end to end, with groups from memberOf and from a
// search: the upstream gets the directory's values, never the copies a
// client sent, and the persisted session carries the metadata.
func TestIdentityHeadersAndMetadata(t *testing.T) {
	e := newEnv(t)
	extra := []interface{}{
		"groups_header", "X-Authenticated-Groups",
		"attribute_headers", map[string]string{"mail": "X-Authenticated-Email"},
		"metadata_attributes", []string{"mail"},
	}
	e.load(
		e.api(classic, "hdr-memberof", e.direct(append([]interface{}{"group_source", "memberof", "group_base_dn", slapdtest.GroupsDN}, extra...)...)),
		e.api(tykOAS, "hdr-search", e.search(append([]interface{}{"group_source", "search", "group_base_dn", slapdtest.GroupsDN}, extra...)...)),
	)
	cases := []struct {
		api, user, pass, mail string
		groups                []string
	}{
		{"hdr-memberof", "alice", "alice-pass-1", "alice@example.org", []string{"developers"}},
		{"hdr-memberof", "bob", "bob-pass-1", "bob@example.org", []string{"admins"}}, // auditors is not in memberOf
		{"hdr-memberof", "carol", "carol-pass-1", "carol@example.org", nil},
		{"hdr-search", "alice", "alice-pass-1", "alice@example.org", []string{"developers"}},
		{"hdr-search", "bob", "bob-pass-1", "bob@example.org", []string{"admins", "auditors"}},
		{"hdr-search", "test", "test123", "test@example.org", []string{"testgroup"}},
		{"hdr-search", "carol", "carol-pass-1", "carol@example.org", nil},
	}
	for _, tc := range cases {
		t.Run(tc.api+"/"+tc.user, func(t *testing.T) {
			for _, round := range []string{"cold", "cached"} {
				h := http.Header{
					"Authorization":          {basic(tc.user, tc.pass)},
					"X-Authenticated-Groups": {"admins"},
					"X-Authenticated-Email":  {"root@evil.example", "second@evil.example"},
				}
				r, rec := e.record(func() reply { return e.do("/"+tc.api+"/", h) })
				checkGranted(t, r, tc.user)
				if got := r.seen.Header.Values("X-Authenticated-Email"); len(got) != 1 || got[0] != tc.mail {
					t.Errorf("%s: upstream email %q, want [%s]", round, got, tc.mail)
				}
				got := r.seen.Header.Values("X-Authenticated-Groups")
				if len(got) > 1 || sortedList(strings.Join(got, "")) != strings.Join(tc.groups, ",") {
					t.Errorf("%s: upstream groups %q, want %v", round, got, tc.groups)
				}
				s, ok := e.host.Sessions().Get(rec.KeyID)
				if !ok {
					t.Fatalf("%s: no session stored", round)
				}
				if s.MetaData["ldap_mail"] != tc.mail || sortedList(s.MetaData["ldap_groups"].(string)) != strings.Join(tc.groups, ",") {
					t.Errorf("%s: session metadata %v", round, s.MetaData)
				}
			}
		})
	}
}

// sortedList sorts a comma-separated list (group order is the directory's).
func sortedList(s string) string {
	if s == "" {
		return ""
	}
	parts := strings.Split(s, ",")
	sort.Strings(parts)
	return strings.Join(parts, ",")
}
