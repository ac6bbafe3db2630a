package slapdtest

import (
	"slices"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/ldaptest"
)

// The Go table (SampleUsers) and testdata/ldap describe the same people,
// with the memberOf values the overlay maintains.
func TestSampleDirectoryMatchesLDIF(t *testing.T) {
	s := StartT(t)
	entries := search(t, s, ServiceAccountDN, ServiceAccountPassword, BaseDN, "(objectClass=posixAccount)",
		"uid", "cn", "mail", "memberOf", "objectClass")
	users := SampleUsers()
	if len(entries) != len(users) {
		t.Fatalf("directory has %d posixAccounts %v, table has %d", len(entries), dns(entries), len(users))
	}
	keys := map[string]bool{}
	for _, u := range users {
		if keys[u.Key] {
			t.Fatalf("duplicate key %s", u.Key)
		}
		keys[u.Key] = true
		e := findDN(t, entries, u.DN)
		if e == nil {
			t.Fatalf("%s (%s) not in the directory", u.Key, u.DN)
		}
		for attr, want := range map[string]string{"uid": u.UID, "cn": u.CN, "mail": u.Mail} {
			if v := e.GetAttributeValue(attr); v != want {
				t.Errorf("%s: %s = %q, want %q", u.Key, attr, v, want)
			}
		}
		if oc := e.GetAttributeValues("objectClass"); !slices.Contains(oc, "inetOrgPerson") || !slices.Contains(oc, "posixAccount") {
			t.Errorf("%s: objectClass %v", u.Key, oc)
		}
		if memberOf := e.GetAttributeValues("memberOf"); !sameDNs(t, memberOf, u.MemberOf) {
			t.Errorf("%s: memberOf %v, want %v", u.Key, memberOf, u.MemberOf)
		}
	}
}

func TestGroups(t *testing.T) {
	s := StartT(t)
	alice, _ := SampleUserByKey("ALICE")
	bob, _ := SampleUserByKey("BOB")
	jsmith, _ := SampleUserByKey("JSMITH")
	tests := []struct {
		name, filter string
		wantDNs      []string
	}{
		{"memberOf on alice", "(&(uid=alice)(memberOf=" + ldap.EscapeFilter(DevelopersDN) + "))", []string{alice.DN}},
		{"alice not directly in engineering", "(&(uid=alice)(memberOf=" + ldap.EscapeFilter(EngineeringDN) + "))", nil},
		{"groups with member alice", "(member=" + ldap.EscapeFilter(alice.DN) + ")", []string{DevelopersDN}},
		{"nested: engineering contains developers", "(member=" + ldap.EscapeFilter(DevelopersDN) + ")", []string{EngineeringDN}},
		{"developers group has memberOf engineering", "(&(cn=developers)(memberOf=" + ldap.EscapeFilter(EngineeringDN) + "))", []string{DevelopersDN}},
		{"groupOfUniqueNames auditors", "(uniqueMember=" + ldap.EscapeFilter(bob.DN) + ")", []string{AuditorsDN}},
		{"posixGroup testgroup", "(&(objectClass=posixGroup)(memberUid=test))", []string{TestGroupDN}},
		// The escaped comma's backslash must itself be escaped in a filter.
		{"member DN with escaped comma", "(member=" + ldap.EscapeFilter(jsmith.DN) + ")", []string{AdminsDN}},
		{"apostrophe uid", "(uid=o'brien)", []string{"uid=o'brien," + PeopleDN}},
		{"twin matches twice", "(uid=twin)", []string{"uid=twin," + PeopleDN, "uid=twin," + ContractorsDN}},
		{"carol in no group", "(|(member=uid=carol," + PeopleDN + ")(uniqueMember=uid=carol," + PeopleDN + ")(memberUid=carol))", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := dns(search(t, s, ServiceAccountDN, ServiceAccountPassword, BaseDN, tc.filter, "dn"))
			if !sameDNs(t, got, tc.wantDNs) {
				t.Fatalf("filter %s: got %v, want %v", tc.filter, got, tc.wantDNs)
			}
		})
	}
}

// ACLs: the service account reads all but userPassword, a user reads only
// their own entry, anonymous reads nothing (but may authenticate).
func TestACLs(t *testing.T) {
	s := StartT(t)
	alice, _ := SampleUserByKey("ALICE")
	bob, _ := SampleUserByKey("BOB")
	sub, base := ldap.ScopeWholeSubtree, ldap.ScopeBaseObject
	tests := []struct {
		name, asDN, asPW, base string
		scope                  int
		filter, attr           string
		wantEntries            int
		wantAttr               bool
	}{
		{"service reads people", ServiceAccountDN, ServiceAccountPassword, BaseDN, sub, "(objectClass=inetOrgPerson)", "mail", len(SampleUsers()), true},
		{"service reads groups", ServiceAccountDN, ServiceAccountPassword, BaseDN, sub, "(objectClass=groupOfNames)", "member", 3, true},
		{"service cannot read userPassword", ServiceAccountDN, ServiceAccountPassword, BaseDN, sub, "(uid=alice)", "userPassword", 1, false},
		{"service cannot filter on userPassword", ServiceAccountDN, ServiceAccountPassword, BaseDN, sub, "(userPassword=*)", "dn", 0, false},
		{"user reads own entry", alice.DN, alice.Password, alice.DN, base, "(objectClass=*)", "memberOf", 1, true},
		{"user cannot read own password", alice.DN, alice.Password, alice.DN, base, "(objectClass=*)", "userPassword", 1, false},
		{"user cannot read others", alice.DN, alice.Password, bob.DN, base, "(objectClass=*)", "mail", 0, false},
		{"user cannot search the tree", alice.DN, alice.Password, BaseDN, sub, "(uid=bob)", "mail", 0, false},
		{"anonymous reads nothing", "", "", BaseDN, sub, "(objectClass=*)", "dn", 0, false},
		{"anonymous cannot read a user", "", "", alice.DN, base, "(objectClass=*)", "mail", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			entries := searchScope(t, s, tc.asDN, tc.asPW, tc.base, tc.scope, tc.filter, tc.attr)
			if len(entries) != tc.wantEntries {
				t.Fatalf("%d entries %v, want %d", len(entries), dns(entries), tc.wantEntries)
			}
			if len(entries) > 0 {
				if has := len(entries[0].GetAttributeValues(tc.attr)) > 0; has != tc.wantAttr {
					t.Fatalf("attribute %s visible=%v, want %v", tc.attr, has, tc.wantAttr)
				}
			}
		})
	}
	// slapd refuses an unauthenticated bind (DN without password).
	c, err := dial(s, ldaptest.Plain, s.CAPEM())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.UnauthenticatedBind(alice.DN); ldaptest.ResultCode(err) != ldap.LDAPResultUnwillingToPerform {
		t.Fatalf("unauthenticated bind: %v, want 53", err)
	}
}
