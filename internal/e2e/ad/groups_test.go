package ad

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/TykTechnologies/tyk/user"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/adtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/e2e/e2etest"
)

// TestGroups backs the group recipes. alice is a member of engineers, and
// of staff only because engineers is a member of staff; jdoe is in admins
// (OU=Groups), pat in the other group named admins (OU=Partners), bob in
// none.
//   - group_source search with nested_groups: one search with AD's in-chain
//     matching rule; required_groups [staff's DN] admits alice;
//   - group_source memberof with nested_groups: memberOf followed from
//     group to group, same answer;
//   - without nested_groups staff does not count, in both sources;
//   - a bare group name is confined to group_base_dn: "admins" under
//     OU=Groups admits jdoe, not pat, whose admins group lives in another
//     OU. Scoped to the whole domain, the same name would admit pat too.
//
// Every granted answer carries the groups the rule saw upstream; every
// refusal is a 403 without a challenge.
func TestGroups(t *testing.T) {
	e := newEnv(t)
	staff := []string{adtest.StaffDN}
	groupsHeader := "X-Authenticated-Groups"
	bySearch := func(pairs ...any) map[string]any {
		return e.upn(append([]any{"group_source", "search", "group_base_dn", adtest.GroupsDN, "groups_header", groupsHeader}, pairs...)...)
	}
	byMemberOf := func(pairs ...any) map[string]any {
		return e.upn(append([]any{"group_source", "memberof", "group_base_dn", adtest.GroupsDN, "groups_header", groupsHeader}, pairs...)...)
	}
	e.Load(
		e.API(e2etest.Classic, "grp-chain", bySearch("nested_groups", true, "required_groups", staff)),
		e.API(e2etest.OAS, "grp-chain-search-bind", e2etest.With(e.search("group_source", "search", "group_base_dn", adtest.GroupsDN,
			"groups_header", groupsHeader, "nested_groups", true, "required_groups", staff))),
		e.API(e2etest.Classic, "grp-search-flat", bySearch("required_groups", staff)),
		e.API(e2etest.Classic, "grp-memberof-nested", byMemberOf("nested_groups", true, "required_groups", staff)),
		e.API(e2etest.Classic, "grp-memberof-flat", byMemberOf("required_groups", staff)),
		e.API(e2etest.Classic, "grp-memberof-engineers", byMemberOf("required_groups", []string{"engineers"})),
		e.API(e2etest.Classic, "grp-admins-search", bySearch("required_groups", []string{"admins"})),
		e.API(e2etest.OAS, "grp-admins-memberof", byMemberOf("required_groups", []string{"admins"})),
		e.API(e2etest.Classic, "grp-admins-domain", e.upn("group_source", "search", "group_base_dn", adtest.BaseDN,
			"groups_header", groupsHeader, "required_groups", []string{"admins"})),
	)
	alice, bob, jdoe, pat := sampleUser(t, adtest.KeyAlice), sampleUser(t, adtest.KeyBob), sampleUser(t, adtest.KeyJDoe), sampleUser(t, adtest.KeyPat)
	cases := []struct {
		api    string
		user   adtest.SampleUser
		groups []string // nil: refused with 403
	}{
		{"grp-chain", alice, []string{"engineers", "staff"}},
		{"grp-chain", bob, nil},
		{"grp-chain", jdoe, nil},
		{"grp-chain-search-bind", alice, []string{"engineers", "staff"}},
		{"grp-chain-search-bind", pat, nil},
		{"grp-search-flat", alice, nil},
		{"grp-memberof-nested", alice, []string{"engineers", "staff"}},
		{"grp-memberof-nested", bob, nil},
		{"grp-memberof-flat", alice, nil},
		{"grp-memberof-engineers", alice, []string{"engineers"}},
		{"grp-memberof-engineers", jdoe, nil},
		{"grp-admins-search", jdoe, []string{"admins"}},
		{"grp-admins-search", pat, nil},
		{"grp-admins-search", alice, nil},
		{"grp-admins-memberof", jdoe, []string{"admins"}},
		{"grp-admins-memberof", pat, nil},
		// The contrast: with the whole domain as group base, pat's group
		// named admins in OU=Partners counts.
		{"grp-admins-domain", pat, []string{"admins"}},
		{"grp-admins-domain", jdoe, []string{"admins"}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%s", tc.api, tc.user.SAMAccountName), func(t *testing.T) {
			e := e.sub(t)
			for _, round := range []string{"cold", "cached"} {
				r := e.As(tc.api, tc.user.SAMAccountName, tc.user.Password)
				if tc.groups == nil {
					e2etest.CheckDenial(t, r, http.StatusForbidden, e2etest.MsgForbidden, "")
					continue
				}
				e2etest.CheckGranted(t, r, tc.user.SAMAccountName)
				if got := sortedList(r.Seen.Header.Get(groupsHeader)); got != strings.Join(tc.groups, ",") {
					t.Errorf("%s: upstream groups %q, want %v", round, got, tc.groups)
				}
			}
		})
	}
}

// TestGroupPolicies backs the group_policies recipe: every user gets the
// policy ad-users (2 requests a minute), members of staff (alice, through
// engineers) also get ad-staff (100 a minute), and Tyk's rate limiter
// enforces the result per user.
func TestGroupPolicies(t *testing.T) {
	e := newEnv(t)
	const api = "grp-policies"
	access := map[string]user.AccessDefinition{e.id(api): {APIID: e.id(api), Versions: []string{"Default"}}}
	e.Host.Policies().Set(
		user.Policy{ID: "ad-users", OrgID: "default", Rate: 2, Per: 60, AccessRights: access},
		user.Policy{ID: "ad-staff", OrgID: "default", Rate: 100, Per: 60, AccessRights: access},
	)
	e.Load(e.API(e2etest.Classic, api, e.upn("policies", []string{"ad-users"},
		"group_source", "search", "group_base_dn", adtest.GroupsDN, "nested_groups", true,
		"group_policies", map[string][]string{"staff": {"ad-staff"}})))
	alice, bob := sampleUser(t, adtest.KeyAlice), sampleUser(t, adtest.KeyBob)

	var aliceKey, bobKey string
	for range 6 {
		r, rec := e.Record(func() e2etest.Reply { return e.As(api, alice.SAMAccountName, alice.Password) })
		e2etest.CheckGranted(t, r, alice.SAMAccountName)
		aliceKey = rec.KeyID
	}
	for i := 1; i <= 3; i++ {
		r, rec := e.Record(func() e2etest.Reply { return e.As(api, bob.SAMAccountName, bob.Password) })
		if i < 3 {
			e2etest.CheckGranted(t, r, bob.SAMAccountName)
			bobKey = rec.KeyID
			continue
		}
		if r.Status != http.StatusTooManyRequests || r.Seen != nil {
			t.Fatalf("bob's 3rd request: status %d, want 429 from ad-users (2 per 60s)", r.Status)
		}
	}
	for key, want := range map[string][]string{aliceKey: {"ad-users", "ad-staff"}, bobKey: {"ad-users"}} {
		s, ok := e.Host.Sessions().Get(key)
		if !ok || !reflect.DeepEqual(s.ApplyPolicies, want) {
			t.Errorf("session %s: policies %v, want %v", key, s.ApplyPolicies, want)
		}
	}
}

// sortedList sorts a comma-separated list (group order is the directory's).
func sortedList(s string) string {
	if s == "" {
		return ""
	}
	parts := strings.Split(s, ",")
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

// TestNestedGroupsInChain shows that nested_groups with group_source
// search asks AD itself (the in-chain matching rule resolves any depth in
// one search): a chain of 12 groups, alice in the first, admits alice to
// an API requiring the last. Following memberOf level by level stops after
// 10 levels, so the same rule refuses her there.
func TestNestedGroupsInChain(t *testing.T) {
	e := newEnv(t)
	alice := sampleUser(t, adtest.KeyAlice)
	member := alice.DN
	var chain []string
	for i := 1; i <= 12; i++ {
		dn, err := e.dc.AddGroup(fmt.Sprintf("chain-%02d", i), adtest.GroupsDN, member)
		if err != nil {
			t.Fatal(err)
		}
		chain = append(chain, dn)
		member = dn
	}
	t.Cleanup(func() {
		for _, dn := range slices.Backward(chain) {
			if err := e.dc.DeleteEntry(dn); err != nil {
				t.Errorf("deleting %s: %v", dn, err)
			}
		}
	})
	last := []string{chain[len(chain)-1]}
	e.Load(
		e.API(e2etest.Classic, "chain-search", e.upn("group_source", "search", "group_base_dn", adtest.GroupsDN, "nested_groups", true, "required_groups", last)),
		e.API(e2etest.Classic, "chain-memberof", e.upn("group_source", "memberof", "group_base_dn", adtest.GroupsDN, "nested_groups", true, "required_groups", last)),
	)
	e2etest.CheckGranted(t, e.As("chain-search", alice.SAMAccountName, alice.Password), alice.SAMAccountName)
	e2etest.CheckDenial(t, e.As("chain-memberof", alice.SAMAccountName, alice.Password), http.StatusForbidden, e2etest.MsgForbidden, "")
}
