package adtest

import (
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/ldaptest"
)

// inChainRule is LDAP_MATCHING_RULE_IN_CHAIN: member:<rule>:=DN matches
// every group DN belongs to, directly or through nested groups.
const inChainRule = "1.2.840.113556.1.4.1941"

// The sample accounts and groups exist as sample.go describes them.
func TestSampleDataMatches(t *testing.T) {
	dc := Shared(t)
	c, err := dc.AdminConn()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, u := range SampleUsers() {
		t.Run(u.Key, func(t *testing.T) {
			res := search(t, c, BaseDN, ldap.ScopeWholeSubtree,
				"(sAMAccountName="+ldap.EscapeFilter(u.SAMAccountName)+")", "userPrincipalName", "cn", "memberOf")
			if len(res.Entries) != 1 {
				t.Fatalf("%d entries for %s", len(res.Entries), u.SAMAccountName)
			}
			e := res.Entries[0]
			if !sameDNs([]string{e.DN}, []string{u.DN}) {
				t.Errorf("DN %q, want %q", e.DN, u.DN)
			}
			if got := e.GetAttributeValue("userPrincipalName"); got != u.UPN {
				t.Errorf("UPN %q, want %q", got, u.UPN)
			}
			if got := e.GetAttributeValue("cn"); got != u.CN {
				t.Errorf("cn %q, want %q", got, u.CN)
			}
			if got := e.GetAttributeValues("memberOf"); !sameDNs(got, u.MemberOf) {
				t.Errorf("memberOf %q, want %q", got, u.MemberOf)
			}
		})
	}
	for _, g := range SampleGroups() {
		t.Run(g.Key, func(t *testing.T) {
			res := search(t, c, g.DN, ldap.ScopeBaseObject, "(objectClass=group)", "sAMAccountName", "member", "groupType")
			if len(res.Entries) != 1 {
				t.Fatalf("group %s missing", g.DN)
			}
			e := res.Entries[0]
			if got := e.GetAttributeValue("sAMAccountName"); got != g.SAMAccountName {
				t.Errorf("sAMAccountName %q, want %q", got, g.SAMAccountName)
			}
			if got := e.GetAttributeValues("member"); !sameDNs(got, g.Members) {
				t.Errorf("member %q, want %q", got, g.Members)
			}
			// Global security group (ADS_GROUP_TYPE_GLOBAL_GROUP | SECURITY_ENABLED).
			if got := e.GetAttributeValue("groupType"); got != "-2147483646" {
				t.Errorf("groupType %q", got)
			}
		})
	}
}

// A user reads its own memberOf (direct groups only; nesting is not
// expanded, and the primary group Domain Users is never listed).
func TestMemberOfAsTheUser(t *testing.T) {
	dc := Shared(t)
	for _, key := range []string{KeyAlice, KeyBob, KeyJDoe, KeyPat} {
		u := sampleUser(t, key)
		t.Run(key, func(t *testing.T) {
			c := boundConn(t, dc, u.UPN, u.Password)
			res := search(t, c, u.DN, ldap.ScopeBaseObject, "(objectClass=*)", "memberOf", "primaryGroupID")
			e := res.Entries[0]
			if got := e.GetAttributeValues("memberOf"); !sameDNs(got, u.MemberOf) {
				t.Fatalf("memberOf %q, want %q", got, u.MemberOf)
			}
			if got := e.GetAttributeValue("primaryGroupID"); got != "513" {
				t.Fatalf("primaryGroupID %q, want 513 (Domain Users)", got)
			}
		})
	}
}

// The in-chain rule returns nested groups; run as the user itself, from
// the domain root.
func TestInChainGroupSearch(t *testing.T) {
	dc := Shared(t)
	for _, key := range []string{KeyAlice, KeyBob, KeyJDoe, KeyPat} {
		u := sampleUser(t, key)
		want := append(append([]string(nil), u.MemberOf...), u.NestedGroups...)
		t.Run(key, func(t *testing.T) {
			c := boundConn(t, dc, u.UPN, u.Password)
			filter := "(&(objectClass=group)(member:" + inChainRule + ":=" + ldap.EscapeFilter(u.DN) + "))"
			res := search(t, c, BaseDN, ldap.ScopeWholeSubtree, filter, "cn")
			if got := entryDNs(res.Entries); !sameDNs(got, want) {
				t.Fatalf("in-chain groups %q, want %q", got, want)
			}
		})
	}
	// Without the rule, member= matches direct membership only.
	alice := sampleUser(t, KeyAlice)
	c := boundConn(t, dc, alice.UPN, alice.Password)
	res := search(t, c, BaseDN, ldap.ScopeWholeSubtree, "(&(objectClass=group)(member="+ldap.EscapeFilter(alice.DN)+"))", "cn")
	if got := entryDNs(res.Entries); !sameDNs(got, alice.MemberOf) {
		t.Fatalf("direct groups %q, want %q", got, alice.MemberOf)
	}
}

// Two groups share cn=admins in different OUs: a search by cn finds both,
// by sAMAccountName one each.
func TestSameNamedGroupsInTwoOUs(t *testing.T) {
	dc := Shared(t)
	bob := sampleUser(t, KeyBob)
	c := boundConn(t, dc, bob.UPN, bob.Password)
	tests := []struct {
		filter string
		want   []string
	}{
		{"(&(objectClass=group)(cn=admins))", []string{AdminsDN, PartnerAdminsDN}},
		{"(&(objectClass=group)(sAMAccountName=admins))", []string{AdminsDN}},
		{"(&(objectClass=group)(sAMAccountName=partner-admins))", []string{PartnerAdminsDN}},
	}
	for _, tc := range tests {
		res := search(t, c, BaseDN, ldap.ScopeWholeSubtree, tc.filter, "cn")
		if got := entryDNs(res.Entries); !sameDNs(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.filter, got, tc.want)
		}
	}
}

// A subtree search from the domain root also returns a continuation
// reference to the configuration partition (go-ldap collects it in
// Referrals and reports no error).
func TestSubtreeSearchReturnsContinuationReferences(t *testing.T) {
	dc := Shared(t)
	alice := sampleUser(t, KeyAlice)
	c := boundConn(t, dc, alice.UPN, alice.Password)
	res := search(t, c, BaseDN, ldap.ScopeWholeSubtree, "(sAMAccountName=alice)", "cn")
	if len(res.Entries) != 1 {
		t.Fatalf("%d entries, want alice", len(res.Entries))
	}
	want := "ldaps://" + DNSDomain + "/CN=Configuration," + BaseDN
	if len(res.Referrals) != 1 || res.Referrals[0] != want {
		t.Fatalf("referrals %q, want [%q]", res.Referrals, want)
	}
	// A one-level search has none.
	res = search(t, c, PeopleDN, ldap.ScopeSingleLevel, "(sAMAccountName=alice)", "cn")
	if len(res.Entries) != 1 || len(res.Referrals) != 0 {
		t.Fatalf("one-level: %d entries, referrals %q", len(res.Entries), res.Referrals)
	}
}

// The WhoAmI extended operation (RFC 4532) is not supported.
func TestWhoAmIUnsupported(t *testing.T) {
	dc := Shared(t)
	alice := sampleUser(t, KeyAlice)
	c := boundConn(t, dc, alice.UPN, alice.Password)
	_, err := c.WhoAmI(nil)
	if ldaptest.ResultCode(err) != ldap.LDAPResultProtocolError ||
		!strings.Contains(err.Error(), "Extended Operation(1.3.6.1.4.1.4203.1.11.3) not supported") {
		t.Fatalf("WhoAmI: %v, want protocol error 2, not supported", err)
	}
}

// An anonymous client (no bind) may not search the domain.
func TestAnonymousSearchRefused(t *testing.T) {
	dc := Shared(t)
	c := dial(t, dc, ldaptest.LDAPS)
	_, err := c.Search(ldap.NewSearchRequest(BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(sAMAccountName=alice)", []string{"cn"}, nil))
	if ldaptest.ResultCode(err) != ldap.LDAPResultOperationsError ||
		!strings.Contains(err.Error(), "00002020: Operation unavailable without authentication") {
		t.Fatalf("anonymous search: %v, want operations error 1", err)
	}
}
