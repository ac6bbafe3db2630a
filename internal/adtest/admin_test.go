package adtest

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/ldaptest"
)

var userSeq atomic.Int64

// newUser adds a throw-away account to the shared DC and deletes it when
// the test ends.
func newUser(t *testing.T, dc *DC, u NewUser) (NewUser, string) {
	t.Helper()
	if u.SAMAccountName == "" {
		u.SAMAccountName = fmt.Sprintf("t%d-%d", userSeq.Add(1), len(t.Name()))
	}
	if u.Password == "" {
		u.Password = "Temp-Pass-1"
	}
	dn, err := dc.AddUser(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := dc.DeleteEntry(dn); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return u, dn
}

func memberOf(t *testing.T, dc *DC, dn string) []string {
	t.Helper()
	c, err := dc.AdminConn()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return search(t, c, dn, ldap.ScopeBaseObject, "(objectClass=*)", "memberOf").Entries[0].GetAttributeValues("memberOf")
}

func TestAddUser(t *testing.T) {
	dc := Shared(t)
	tests := []struct {
		name string
		user NewUser
		data string // bind diagnostic; "" = bind succeeds
	}{
		{"defaults", NewUser{}, ""},
		{"own UPN and CN with a comma", NewUser{UPN: "someone.else@" + DNSDomain, CN: "Else, Some"}, ""},
		{"in partners", NewUser{ParentDN: PartnersDN}, ""},
		{"disabled", NewUser{Disabled: true}, "533"},
		{"must change password", NewUser{MustChangePassword: true}, "773"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, dn := newUser(t, dc, tc.user)
			got, err := dc.UserDN(u.SAMAccountName)
			if err != nil || !sameDNs([]string{got}, []string{dn}) {
				t.Fatalf("UserDN %q (%v), want %q", got, err, dn)
			}
			upn := u.UPN
			if upn == "" {
				upn = u.SAMAccountName + "@" + DNSDomain
			}
			for _, name := range []string{upn, Domain + `\` + u.SAMAccountName, dn} {
				err := bind(t, dc, ldaptest.LDAPS, name, u.Password)
				if Diagnostic(err) != tc.data || (tc.data == "" && err != nil) {
					t.Fatalf("bind %q: %v, want data %q", name, err, tc.data)
				}
			}
		})
	}
	if _, err := dc.AddUser(NewUser{SAMAccountName: "nopassword"}); err == nil {
		t.Fatal("AddUser without a password succeeded")
	}
}

// Samba refuses a UPN that is in use, and one whose prefix is another
// account's sAMAccountName (the implicit UPN jdoe@corp.example.org already
// names jdoe, whose real UPN is john.doe@...). Real AD may accept the
// second.
func TestUPNClashRefused(t *testing.T) {
	dc := Shared(t)
	tests := []struct {
		name, upn string
		code      int
		message   string
	}{
		{"UPN in use", "alice@" + DNSDomain, ldap.LDAPResultConstraintViolation,
			"0000202F: samldb: userPrincipalName 'alice@corp.example.org' is already in use"},
		{"prefix is another sAMAccountName", "jdoe@" + DNSDomain, ldap.LDAPResultEntryAlreadyExists,
			"00002071: samldb: sAMAccountName 'jdoe' is already in use (implied by userPrincipalName)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dc.AddUser(NewUser{SAMAccountName: "clash", UPN: tc.upn, Password: "Clash-Pass-1"})
			if err == nil {
				if dn, derr := dc.UserDN("clash"); derr == nil {
					_ = dc.DeleteEntry(dn)
				}
				t.Fatalf("UPN %s was accepted", tc.upn)
			}
			if ldaptest.ResultCode(err) != tc.code || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("add: %v, want result %d %q", err, tc.code, tc.message)
			}
			if _, err := dc.UserDN("clash"); !errors.Is(err, ErrNoSuchUser) {
				t.Fatalf("UserDN after the refused add: %v, want ErrNoSuchUser", err)
			}
		})
	}
}

func TestGroupMembershipHelpers(t *testing.T) {
	dc := Shared(t)
	_, userDN := newUser(t, dc, NewUser{Groups: []string{EngineersDN}})
	if got := memberOf(t, dc, userDN); !sameDNs(got, []string{EngineersDN}) {
		t.Fatalf("memberOf after AddUser with Groups: %q", got)
	}
	groupDN, err := dc.AddGroup(fmt.Sprintf("tgroup%d", userSeq.Add(1)), "", userDN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dc.DeleteEntry(groupDN) })
	if got := memberOf(t, dc, userDN); !sameDNs(got, []string{EngineersDN, groupDN}) {
		t.Fatalf("memberOf after AddGroup with the member: %q", got)
	}
	if err := dc.RemoveFromGroup(groupDN, userDN); err != nil {
		t.Fatal(err)
	}
	if err := dc.AddToGroup(StaffDN, groupDN); err != nil { // nest the new group in staff
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dc.RemoveFromGroup(StaffDN, groupDN) })
	if err := dc.AddToGroup(groupDN, userDN); err != nil {
		t.Fatal(err)
	}
	if got := memberOf(t, dc, userDN); !sameDNs(got, []string{EngineersDN, groupDN}) {
		t.Fatalf("memberOf after AddToGroup: %q", got)
	}
	if err := dc.RemoveFromGroup(EngineersDN, userDN); err != nil {
		t.Fatal(err)
	}
	if got := memberOf(t, dc, userDN); !sameDNs(got, []string{groupDN}) {
		t.Fatalf("memberOf after RemoveFromGroup: %q", got)
	}
	if err := dc.AddToGroup("CN=nonexistent,"+GroupsDN, userDN); err == nil {
		t.Fatal("AddToGroup on a missing group succeeded")
	}
}

// After an administrator's reset the new password binds, and so does the
// previous one: Samba's "old password allowed period" (60 minutes by
// default) covers the password just replaced. The one before it is refused
// (52e) without counting as a bad password (AD's history rule), so a
// client retrying an old password does not lock the account.
func TestPasswordResetKeepsPreviousPasswordForAnHour(t *testing.T) {
	dc := Shared(t)
	u, _ := newUser(t, dc, NewUser{Password: "First-Pass-1"})
	name := u.SAMAccountName + "@" + DNSDomain
	type attempt struct {
		password string
		data     string // "" = bind succeeds
		bad      int    // badPwdCount afterwards
	}
	steps := []struct {
		setTo    string
		attempts []attempt
	}{
		{"Second-Pass-2", []attempt{{"Second-Pass-2", "", 0}, {"First-Pass-1", "", 0}}},
		{"Third-Pass-3", []attempt{
			{"Third-Pass-3", "", 0},
			{"Second-Pass-2", "", 0},
			{"First-Pass-1", "52e", 0},
			{"never-used-1", "52e", 1},
			{"First-Pass-1", "52e", 1},
		}},
	}
	for _, s := range steps {
		if err := dc.SetPassword(u.SAMAccountName, s.setTo); err != nil {
			t.Fatal(err)
		}
		for _, a := range s.attempts {
			err := bind(t, dc, ldaptest.LDAPS, name, a.password)
			if Diagnostic(err) != a.data || (a.data == "" && err != nil) {
				t.Fatalf("after reset to %s, bind with %s: %v, want data %q", s.setTo, a.password, err, a.data)
			}
			if got := badPwdCount(t, dc, u.SAMAccountName); got != a.bad {
				t.Fatalf("after reset to %s, bind with %s: badPwdCount %d, want %d", s.setTo, a.password, got, a.bad)
			}
		}
	}
	if err := dc.SetPassword("no-such-user", "x"); !errors.Is(err, ErrNoSuchUser) {
		t.Fatalf("SetPassword on a missing user: %v", err)
	}
}

func TestSetDisabled(t *testing.T) {
	dc := Shared(t)
	u, _ := newUser(t, dc, NewUser{})
	name := u.SAMAccountName + "@" + DNSDomain
	steps := []struct {
		disabled bool
		data     string
	}{
		{true, "533"},
		{false, ""},
	}
	for _, s := range steps {
		if err := dc.SetDisabled(u.SAMAccountName, s.disabled); err != nil {
			t.Fatal(err)
		}
		err := bind(t, dc, ldaptest.LDAPS, name, u.Password)
		if Diagnostic(err) != s.data || (s.data == "" && err != nil) {
			t.Fatalf("disabled=%v: bind %v, want data %q", s.disabled, err, s.data)
		}
	}
}

func TestDeleteEntry(t *testing.T) {
	dc := Shared(t)
	dn, err := dc.AddUser(NewUser{SAMAccountName: fmt.Sprintf("del%d", userSeq.Add(1)), Password: "Del-Pass-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := dc.DeleteEntry(dn); err != nil {
		t.Fatal(err)
	}
	if err := bind(t, dc, ldaptest.LDAPS, dn, "Del-Pass-1"); Diagnostic(err) != "52e" {
		t.Fatalf("bind as a deleted user: %v, want data 52e", err)
	}
	if err := dc.DeleteEntry(dn); err == nil || !strings.Contains(err.Error(), dn) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestUserHelpersOnMissingUser(t *testing.T) {
	dc := Shared(t)
	for name, f := range map[string]func() error{
		"UserDN":            func() error { _, err := dc.UserDN("ghost"); return err },
		"BadPwdCount":       func() error { _, err := dc.BadPwdCount("ghost"); return err },
		"LockoutTime":       func() error { _, err := dc.LockoutTime("ghost"); return err },
		"Unlock":            func() error { return dc.Unlock("ghost") },
		"ResetLockoutState": func() error { return dc.ResetLockoutState("ghost") },
		"SetDisabled":       func() error { return dc.SetDisabled("ghost", true) },
	} {
		if err := f(); !errors.Is(err, ErrNoSuchUser) {
			t.Errorf("%s: %v, want ErrNoSuchUser", name, err)
		}
	}
	// The filter is escaped: a name with filter syntax finds nobody.
	if _, err := dc.UserDN("*"); !errors.Is(err, ErrNoSuchUser) {
		t.Fatalf("UserDN(*): %v, want ErrNoSuchUser", err)
	}
}
