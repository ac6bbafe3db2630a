package slapdtest

import (
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/ldaptest"
)

func TestSetPassword(t *testing.T) {
	s := StartT(t)
	bob, _ := SampleUserByKey("BOB")
	if err := s.SetPassword(bob.DN, "bob-pass-2"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pw   string
		want int
	}{
		{bob.Password, ldap.LDAPResultInvalidCredentials},
		{"bob-pass-2", 0},
	} {
		if got := ldaptest.ResultCode(bindOnce(t, s, ldaptest.Plain, bob.DN, tc.pw)); got != tc.want {
			t.Fatalf("bind with %s password: %d, want %d", map[bool]string{true: "new", false: "old"}[tc.want == 0], got, tc.want)
		}
	}
	// Stored hashed, like the LDIF's passwords.
	c, err := s.AdminConn()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pw, err := readAttr(c, bob.DN, "userPassword")
	if err != nil || len(pw) != 1 || !strings.HasPrefix(pw[0], "{SSHA}") {
		t.Fatalf("userPassword not an {SSHA} hash: %v %v", len(pw), err)
	}
}

func TestAddUserGroupsAndDelete(t *testing.T) {
	s := StartT(t)
	dn, err := s.AddUser(NewUser{UID: "eve, the (new) one", Password: "eve-pass-1"})
	if err != nil {
		t.Fatalf("AddUser: %v", err)
	}
	if want := `uid=eve\, the (new) one,` + PeopleDN; dn != want {
		t.Fatalf("DN %q, want %q", dn, want)
	}
	if err := bindOnce(t, s, ldaptest.StartTLS, dn, "eve-pass-1"); err != nil {
		t.Fatalf("new user cannot bind: %v", err)
	}
	for _, g := range []string{DevelopersDN, AuditorsDN, TestGroupDN} {
		if err := s.AddToGroup(g, dn); err != nil {
			t.Fatalf("AddToGroup %s: %v", g, err)
		}
	}
	if err := s.AddToGroup(ServiceAccountDN, dn); err == nil {
		t.Fatal("AddToGroup on a non-group succeeded")
	}
	checks := []struct{ name, filter string }{
		{"memberOf developers", "(&(uid=eve, the \\28new\\29 one)(memberOf=" + ldap.EscapeFilter(DevelopersDN) + "))"},
		{"uniqueMember auditors", "(&(cn=auditors)(uniqueMember=" + ldap.EscapeFilter(dn) + "))"},
		{"memberUid testgroup", "(&(cn=testgroup)(memberUid=" + ldap.EscapeFilter("eve, the (new) one") + "))"},
	}
	count := func(filter string) int {
		return len(search(t, s, ServiceAccountDN, ServiceAccountPassword, BaseDN, filter, "dn"))
	}
	for _, c := range checks {
		if n := count(c.filter); n != 1 {
			t.Fatalf("%s: %d entries, want 1", c.name, n)
		}
	}
	for _, g := range []string{DevelopersDN, AuditorsDN, TestGroupDN} {
		if err := s.RemoveFromGroup(g, dn); err != nil {
			t.Fatalf("RemoveFromGroup %s: %v", g, err)
		}
	}
	for _, c := range checks {
		if n := count(c.filter); n != 0 {
			t.Fatalf("after removal %s: %d entries, want 0", c.name, n)
		}
	}
	if err := s.DeleteEntry(dn); err != nil {
		t.Fatalf("DeleteEntry: %v", err)
	}
	if got := ldaptest.ResultCode(bindOnce(t, s, ldaptest.Plain, dn, "eve-pass-1")); got != ldap.LDAPResultInvalidCredentials {
		t.Fatalf("deleted user bind: %d, want 49", got)
	}
}

func TestApplyLDIF(t *testing.T) {
	s := StartT(t)
	carol, _ := SampleUserByKey("CAROL")
	err := s.ApplyLDIF("dn: " + carol.DN + "\nchangetype: modify\nreplace: mail\nmail: carol@new.example\n")
	if err != nil {
		t.Fatal(err)
	}
	e := search(t, s, ServiceAccountDN, ServiceAccountPassword, BaseDN, "(uid=carol)", "mail")
	if len(e) != 1 || e[0].GetAttributeValue("mail") != "carol@new.example" {
		t.Fatalf("mail not changed: %v", dns(e))
	}
	if err := s.ApplyLDIF("dn: uid=ghost," + PeopleDN + "\nchangetype: delete\n"); err == nil || !strings.Contains(err.Error(), "No such object") {
		t.Fatalf("deleting a missing entry: %v, want No such object", err)
	}
}

func TestExtraLDIFAndNoData(t *testing.T) {
	s := StartT(t, WithNoData(), WithRootPassword("root-secret"),
		WithExtraLDIF("dn: "+BaseDN+"\nobjectClass: dcObject\nobjectClass: organization\no: x\ndc: example\n"))
	if s.RootPassword() != "root-secret" || s.RootDN() != RootDN {
		t.Fatal("root credentials not as configured")
	}
	e := search(t, s, s.RootDN(), s.RootPassword(), BaseDN, "(objectClass=*)", "dn")
	if len(e) != 1 {
		t.Fatalf("want only the suffix entry, got %v", dns(e))
	}
}
