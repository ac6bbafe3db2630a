package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/TykTechnologies/tyk/user"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
)

// groupModes are the two ways of reading a user's groups, each confined to
// ou=groups: memberOf on the user's entry, and a search of the group base.
func (e *env) groupModes(pairs ...interface{}) map[string]map[string]interface{} {
	base := []interface{}{"group_base_dn", slapdtest.GroupsDN}
	return map[string]map[string]interface{}{
		"memberof": e.direct(append(append([]interface{}{"group_source", "memberof"}, base...), pairs...)...),
		"search":   e.search(append(append([]interface{}{"group_source", "search"}, base...), pairs...)...),
	}
}

// TestGroupFilterWithoutPlaceholder: a group_filter that names no user
// ({dn} or {username}) matches the same groups for everyone, so it would
// admit a user who is in no group. It is a configuration error: 500, and a
// log line naming group_filter, never a 200 or a 403 decided by it.
func TestGroupFilterWithoutPlaceholder(t *testing.T) {
	e := newEnv(t)
	mark := gatewayLog.mark()
	filter := []interface{}{"group_filter", "(objectClass=groupOfNames)"}
	apis := map[string]map[string]interface{}{
		"gf-required": e.search(append(filter, "group_source", "search", "group_base_dn", slapdtest.GroupsDN, "required_groups", []string{"admins"})...),
		"gf-header":   e.search(append(filter, "group_source", "search", "group_base_dn", slapdtest.GroupsDN, "groups_header", "X-Authenticated-Groups")...),
	}
	var all []tykhost.APIs
	for id, cfg := range apis {
		all = append(all, e.api(classic, id, cfg))
	}
	e.load(all...)
	for id := range apis {
		t.Run(id, func(t *testing.T) {
			for _, u := range [][2]string{{"carol", "carol-pass-1"}, {"bob", "bob-pass-1"}} {
				checkDenial(t, e.as(id, u[0], u[1]), http.StatusInternalServerError, msgMisconfigured, "")
			}
			if lines := logLines(gatewayLog.since(mark), "api_id="+id+" ", "key=group_filter ", "level=error"); len(lines) != 1 {
				t.Errorf("want one error line naming group_filter, got %q", lines)
			}
		})
	}
}

// TestSameNamedGroupOutsideBase: cn=admins,ou=contractors (which carol is
// a member of) has the name of the real cn=admins,ou=groups. With
// group_base_dn ou=groups, only the real one counts, whether groups come
// from memberOf or from a search: required_groups ["admins"] refuses carol
// (403) and admits bob, and group_policies {"admins": ...} gives the admins
// policy to bob only.
func TestSameNamedGroupOutsideBase(t *testing.T) {
	e := newEnv(t)
	const impostor = "cn=admins," + slapdtest.ContractorsDN
	carol, _ := slapdtest.SampleUserByKey("CAROL")
	if err := e.ldap.ApplyLDIF(fmt.Sprintf("dn: %s\nobjectClass: groupOfNames\ncn: admins\nmember: %s\n", impostor, carol.DN)); err != nil {
		t.Fatal(err)
	}
	if got := memberOf(t, e.ldap, carol.DN); !slices.Contains(got, impostor) {
		t.Fatalf("carol's memberOf is %q; the test needs the impostor group in it", got)
	}

	var all []tykhost.APIs
	var policyAPIs []string
	for mode, cfg := range e.groupModes("required_groups", []string{"admins"}, "groups_header", "X-Authenticated-Groups") {
		all = append(all, e.api(classic, "impostor-required-"+mode, cfg))
	}
	for mode, cfg := range e.groupModes("group_policies", map[string][]string{"admins": {"e2e-admins"}}, "groups_header", "X-Authenticated-Groups") {
		id := "impostor-policies-" + mode
		policyAPIs = append(policyAPIs, id)
		all = append(all, e.api(classic, id, cfg))
	}
	access := map[string]user.AccessDefinition{}
	for _, id := range policyAPIs {
		access[id] = user.AccessDefinition{APIID: id, Versions: []string{"Default"}}
	}
	e.host.Policies().Set(user.Policy{ID: "e2e-admins", OrgID: "default", Rate: 1000, Per: 60, AccessRights: access})
	e.load(all...)

	for _, mode := range []string{"memberof", "search"} {
		t.Run(mode, func(t *testing.T) {
			api := "impostor-required-" + mode
			checkDenial(t, e.as(api, "carol", carol.Password), http.StatusForbidden, msgForbidden, "")
			r := e.as(api, "bob", "bob-pass-1")
			checkGranted(t, r, "bob")
			if groups := decodeList(r.seen.Header.Get("X-Authenticated-Groups")); !slices.Contains(groups, "admins") {
				t.Errorf("bob's groups %q lack admins", groups)
			}

			api = "impostor-policies-" + mode
			for _, tc := range []struct {
				user, pass string
				policies   []string
			}{
				{"carol", carol.Password, nil},
				{"bob", "bob-pass-1", []string{"e2e-admins"}},
			} {
				r, rec := e.record(func() reply { return e.as(api, tc.user, tc.pass) })
				checkGranted(t, r, tc.user)
				s, ok := e.host.Sessions().Get(rec.KeyID)
				if !ok {
					t.Fatalf("%s: no stored session", tc.user)
				}
				if !reflect.DeepEqual(s.ApplyPolicies, tc.policies) {
					t.Errorf("%s: session policies %v, want %v", tc.user, s.ApplyPolicies, tc.policies)
				}
				if tc.user == "carol" {
					if g := r.seen.Header.Values("X-Authenticated-Groups"); len(g) > 1 || (len(g) == 1 && g[0] != "") {
						t.Errorf("carol's groups header %q, want no group (the impostor is outside group_base_dn)", g)
					}
					if meta := s.MetaData["ldap_groups"]; meta != "" {
						t.Errorf("carol's session ldap_groups %q, want empty", meta)
					}
				}
			}
		})
	}
}

// memberOf reads the memberOf values slapd keeps on dn.
func memberOf(t *testing.T, srv *slapdtest.Server, dn string) []string {
	t.Helper()
	c, err := srv.AdminConn()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"memberOf"}, nil))
	if err != nil || len(res.Entries) != 1 {
		t.Fatalf("read memberOf of %s: %v", dn, err)
	}
	return res.Entries[0].GetAttributeValues("memberOf")
}

// decodeList splits a groups header or ldap_groups value and undoes the
// percent-encoding of "%" and "," inside each name.
func decodeList(v string) []string {
	if v == "" {
		return nil
	}
	var out []string
	for _, item := range strings.Split(v, ",") {
		name, err := url.PathUnescape(item)
		if err != nil {
			name = "<undecodable " + item + ">"
		}
		out = append(out, name)
	}
	return out
}

// TestGroupsHeaderEncoding: a group name holding a comma ("Ops, Night")
// reaches the upstream as one item, "Ops%2C Night", of the comma-separated
// groups header. When the user's groups do not all fit the header's 4 KiB,
// whole names are left out, never cut: every item still decodes to the
// name of a group the user is in. The session metadata keeps them all.
func TestGroupsHeaderEncoding(t *testing.T) {
	e := newEnv(t)
	alice, _ := slapdtest.SampleUserByKey("ALICE")
	const ops = `cn=Ops\, Night,` + slapdtest.GroupsDN
	if err := e.ldap.ApplyLDIF(fmt.Sprintf("dn: %s\nobjectClass: groupOfNames\ncn: Ops, Night\nmember: %s\n", ops, alice.DN)); err != nil {
		t.Fatal(err)
	}
	var all []tykhost.APIs
	modes := e.groupModes("groups_header", "X-Authenticated-Groups", "cache_ttl", "0s")
	for mode, cfg := range modes {
		all = append(all, e.api(classic, "groups-encoding-"+mode, cfg))
	}
	e.load(all...)

	groupsOf := func(t *testing.T, api string) (header []string, meta string) {
		t.Helper()
		r, rec := e.record(func() reply { return e.as(api, "alice", alice.Password) })
		checkGranted(t, r, "alice")
		s, ok := e.host.Sessions().Get(rec.KeyID)
		if !ok {
			t.Fatal("no stored session")
		}
		meta, _ = s.MetaData["ldap_groups"].(string)
		return r.seen.Header.Values("X-Authenticated-Groups"), meta
	}
	for mode := range modes {
		t.Run(mode+"/comma", func(t *testing.T) {
			header, _ := groupsOf(t, "groups-encoding-"+mode)
			if len(header) != 1 {
				t.Fatalf("groups header %q, want one value", header)
			}
			items := strings.Split(header[0], ",")
			slices.Sort(items)
			if want := []string{"Ops%2C Night", "developers"}; !slices.Equal(items, want) {
				t.Errorf("groups header %q, want the items %q", header[0], want)
			}
		})
	}

	// Forty more groups with long names, commas and percent signs: about
	// 5 KiB of names, more than one header value may carry.
	want := []string{"developers", "Ops, Night"}
	var ldif strings.Builder
	for i := range 40 {
		name := fmt.Sprintf("Night Shift, Team %02d (100%% on call) %s", i, strings.Repeat("x", 80))
		want = append(want, name)
		fmt.Fprintf(&ldif, "dn: cn=%s,%s\nobjectClass: groupOfNames\ncn: %s\nmember: %s\n\n", ldap.EscapeDN(name), slapdtest.GroupsDN, name, alice.DN)
	}
	if err := e.ldap.ApplyLDIF(ldif.String()); err != nil {
		t.Fatal(err)
	}
	for mode := range modes {
		t.Run(mode+"/too many for the header", func(t *testing.T) {
			header, meta := groupsOf(t, "groups-encoding-"+mode)
			if len(header) != 1 || len(header[0]) > 4096 {
				t.Fatalf("groups header: %d values, %d bytes; want one value of at most 4096 bytes", len(header), len(strings.Join(header, "")))
			}
			items := decodeList(header[0])
			for _, name := range items {
				if !slices.Contains(want, name) {
					t.Errorf("header item %q is not one of alice's group names (cut or mangled)", name)
				}
			}
			if len(items) >= len(want) {
				t.Errorf("all %d groups fit in %d bytes; the test needs more names than the header can carry", len(items), len(header[0]))
			}
			got := decodeList(meta)
			slices.Sort(got)
			all := slices.Clone(want)
			slices.Sort(all)
			if !slices.Equal(got, all) {
				t.Errorf("session ldap_groups holds %d names, want all %d of alice's groups", len(got), len(all))
			}
		})
	}
}

// TestGroupsWithoutBaseGoByDN: without group_base_dn the upstream and the
// session get every group by its DN, never by a bare name, so carol's
// same-named cn=admins in ou=contractors cannot reach the upstream as
// "admins" (the rule required_groups follows for bare names).
func TestGroupsWithoutBaseGoByDN(t *testing.T) {
	e := newEnv(t)
	const impostor = "cn=admins," + slapdtest.ContractorsDN
	carol, _ := slapdtest.SampleUserByKey("CAROL")
	if err := e.ldap.ApplyLDIF(fmt.Sprintf("dn: %s\nobjectClass: groupOfNames\ncn: admins\nmember: %s\n", impostor, carol.DN)); err != nil {
		t.Fatal(err)
	}
	const api = "groups-no-base"
	e.load(e.api(classic, api, e.direct("group_source", "memberof", "groups_header", "X-Authenticated-Groups")))
	for _, tc := range []struct {
		user, pass string
		want       string
	}{
		{"carol", carol.Password, impostor},
		{"bob", "bob-pass-1", "cn=admins," + slapdtest.GroupsDN},
	} {
		r, rec := e.record(func() reply { return e.as(api, tc.user, tc.pass) })
		checkGranted(t, r, tc.user)
		groups := decodeList(r.seen.Header.Get("X-Authenticated-Groups"))
		if slices.Contains(groups, "admins") || !slices.ContainsFunc(groups, func(g string) bool { return strings.EqualFold(g, tc.want) }) {
			t.Errorf("%s: upstream groups %q, want %s by its DN and no bare name", tc.user, groups, tc.want)
		}
		s, ok := e.host.Sessions().Get(rec.KeyID)
		if !ok {
			t.Fatalf("%s: no stored session", tc.user)
		}
		if meta := decodeList(s.MetaData["ldap_groups"].(string)); slices.Contains(meta, "admins") {
			t.Errorf("%s: session ldap_groups %q holds a bare name", tc.user, meta)
		}
	}
}
