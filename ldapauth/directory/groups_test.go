package directory

import (
	"slices"
	"testing"
	"time"

	ldap "github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

func sortedNames(id *Identity) []string {
	names := id.GroupNames()
	slices.Sort(names)
	return names
}

func memberOfGroups(base string, nested bool) GroupOptions {
	return GroupOptions{Source: GroupsFromMemberOf, BaseDN: base, NameAttribute: "cn", Nested: nested}
}

func TestGroups(t *testing.T) {
	srv := sharedLDAP(t)
	search := searchGroups(t)
	nestedSearch := searchGroups(t)
	nestedSearch.Nested = true
	tests := []struct {
		name    string
		options func(testing.TB, *slapdtest.Server) Options
		groups  GroupOptions
		user    string
		want    []string
	}{
		{"memberof alice", searchOptions, memberOfGroups("", false), "alice", []string{"developers"}},
		{"memberof carol", searchOptions, memberOfGroups("", false), "carol", nil},
		{"memberof nested alice", searchOptions, memberOfGroups("", true), "alice", []string{"developers", "engineering"}},
		{"memberof jsmith (escaped DN)", searchOptions, memberOfGroups(slapdtest.GroupsDN, false), "jsmith", []string{"admins"}},
		{"memberof, direct bind as the user", directOptions, memberOfGroups(slapdtest.GroupsDN, false), "alice", []string{"developers"}},
		{"search posixGroup (memberUid)", searchOptions, search, "test", []string{"testgroup"}},
		{"search groupOfNames", searchOptions, search, "alice", []string{"developers"}},
		{"search nested", searchOptions, nestedSearch, "alice", []string{"developers", "engineering"}},
		{"search nested o'brien", searchOptions, nestedSearch, "o'brien", []string{"developers", "engineering"}},
		{"search groupOfNames + groupOfUniqueNames", searchOptions, search, "bob", []string{"admins", "auditors"}},
		{"search jsmith (escaped DN in the filter)", searchOptions, search, "jsmith", []string{"admins"}},
		{"search carol", searchOptions, search, "carol", nil},
		{"search, direct bind with the service account", func(t testing.TB, s *slapdtest.Server) Options {
			return withServiceAccount(directOptions(t, s))
		}, search, "alice", []string{"developers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.options(t, srv)
			o.Groups = tt.groups
			u := sampleUserByUID(t, tt.user)
			id := mustAuthenticate(t, newDirectory(t, o), u.UID, u.Password)
			if got := sortedNames(id); !slices.Equal(got, tt.want) {
				t.Fatalf("groups = %v, want %v", got, tt.want)
			}
			for _, g := range id.Groups {
				if !IsUnder(g.DN, slapdtest.GroupsDN) || FirstRDNValue(g.DN) != g.Name {
					t.Fatalf("group %+v", g)
				}
			}
		})
	}
}

func sampleUserByUID(t testing.TB, uid string) slapdtest.SampleUser {
	t.Helper()
	for _, u := range slapdtest.SampleUsers() {
		if u.UID == uid && u.Key != "TWIN_CONTRACTOR" {
			return u
		}
	}
	t.Fatalf("no sample user %q", uid)
	return slapdtest.SampleUser{}
}

// A membership loop (a in b, b in a) terminates, for both sources.
func TestNestedGroupLoop(t *testing.T) {
	srv := slapdtest.StartT(t, slapdtest.WithExtraLDIF(`
dn: cn=loop-a,ou=groups,dc=example,dc=org
objectClass: groupOfNames
cn: loop-a
member: uid=carol,ou=people,dc=example,dc=org

dn: cn=loop-b,ou=groups,dc=example,dc=org
objectClass: groupOfNames
cn: loop-b
member: cn=loop-a,ou=groups,dc=example,dc=org

dn: cn=loop-a,ou=groups,dc=example,dc=org
changetype: modify
add: member
member: cn=loop-b,ou=groups,dc=example,dc=org
`))
	nested := searchGroups(t)
	nested.Nested = true
	for name, groups := range map[string]GroupOptions{"search": nested, "memberof": memberOfGroups(slapdtest.GroupsDN, true)} {
		t.Run(name, func(t *testing.T) {
			o := searchOptions(t, srv)
			o.Groups = groups
			o.RequestTimeout = 2 * time.Second
			d := newDirectory(t, o)
			before := counters(t, srv)
			id := mustAuthenticate(t, d, "carol", "carol-pass-1")
			if got := sortedNames(id); !slices.Equal(got, []string{"loop-a", "loop-b"}) {
				t.Fatalf("groups = %v", got)
			}
			// Each group is looked up once: the loop is cut, not followed
			// to the depth limit.
			if n := counters(t, srv).Sub(before).Searches; n > 5 {
				t.Fatalf("%d searches for a two-group loop", n)
			}
		})
	}
}

// partnersLDIF adds a group named admins outside ou=groups, with alice in
// it: whoever can create entries in another OU must not be able to grant
// "admins".
const partnersLDIF = `
dn: ou=partners,dc=example,dc=org
objectClass: organizationalUnit
ou: partners

dn: cn=admins,ou=partners,dc=example,dc=org
objectClass: groupOfNames
cn: admins
member: uid=alice,ou=people,dc=example,dc=org
`

const partnersAdminsDN = "cn=admins,ou=partners,dc=example,dc=org"

// lookalikeLDIF adds, directly under the suffix, a group whose RDN value
// holds an escaped comma so that its DN ends in ",ou=groups,dc=example,
// dc=org" as text while it is not under ou=groups.
const lookalikeLDIF = `
dn: cn=admins\,ou=groups,dc=example,dc=org
objectClass: groupOfNames
cn: admins,ou=groups
cn: admins
member: uid=alice,ou=people,dc=example,dc=org
`

const lookalikeDN = `cn=admins\,ou=groups,dc=example,dc=org`

func TestGroupsConfinedToBaseDN(t *testing.T) {
	srv := slapdtest.StartT(t)
	if err := srv.ApplyLDIF(partnersLDIF + "\n" + lookalikeLDIF); err != nil {
		t.Fatal(err)
	}
	allSearch := searchGroups(t)
	allSearch.BaseDN = slapdtest.BaseDN
	tests := []struct {
		name   string
		groups GroupOptions
		want   []Group
	}{
		{"memberof under ou=groups", memberOfGroups(slapdtest.GroupsDN, false),
			[]Group{{"developers", slapdtest.DevelopersDN}}},
		{"memberof anywhere", memberOfGroups("", false),
			[]Group{{"admins", partnersAdminsDN}, {"admins,ou=groups", lookalikeDN}, {"developers", slapdtest.DevelopersDN}}},
		{"memberof nested under ou=groups", memberOfGroups(slapdtest.GroupsDN, true),
			[]Group{{"developers", slapdtest.DevelopersDN}, {"engineering", slapdtest.EngineeringDN}}},
		{"search under ou=groups", searchGroups(t),
			[]Group{{"developers", slapdtest.DevelopersDN}}},
		{"search from the suffix", allSearch,
			[]Group{{"admins", partnersAdminsDN}, {"admins,ou=groups", lookalikeDN}, {"developers", slapdtest.DevelopersDN}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := searchOptions(t, srv)
			o.Groups = tt.groups
			id := mustAuthenticate(t, newDirectory(t, o), "alice", "alice-pass-1")
			got := slices.Clone(id.Groups)
			for i := range got {
				got[i].DN = NormalizeDN(got[i].DN)
			}
			want := slices.Clone(tt.want)
			for i := range want {
				want[i].DN = NormalizeDN(want[i].DN)
			}
			byDN := func(a, b Group) int {
				if a.DN < b.DN {
					return -1
				}
				if a.DN > b.DN {
					return 1
				}
				return 0
			}
			slices.SortFunc(got, byDN)
			slices.SortFunc(want, byDN)
			if !slices.Equal(got, want) {
				t.Fatalf("groups = %v, want %v", got, want)
			}
		})
	}
}

// Active Directory is not available here, so the in-chain query is checked
// for what can be checked without it: a valid extensible-match filter on
// member with the in-chain rule, whose value is exactly the user's DN
// (escaped, so a DN with filter metacharacters cannot change the query).
func TestInChainFilter(t *testing.T) {
	for _, dn := range []string{
		"CN=Alice Archer,OU=Users,DC=corp,DC=example,DC=com",
		`CN=Smith\, John (Ops),OU=Users,DC=corp,DC=example,DC=com`,
		"CN=*)(objectClass=*,DC=corp",
		"CN=a\\5c\x00,DC=corp",
	} {
		filter := inChainFilter(dn)
		parsed, err := parseFilter(filter)
		if err != nil {
			t.Fatalf("%q: %v", filter, err)
		}
		want := filterNode{op: "ext", attr: "member", rule: matchingRuleInChain, value: dn}
		if !parsed.equal(want) {
			t.Fatalf("%q parsed as %+v, want %+v", filter, parsed, want)
		}
		if _, err := ldap.CompileFilter(filter); err != nil {
			t.Fatalf("go-ldap cannot send %q: %v", filter, err)
		}
	}
}
