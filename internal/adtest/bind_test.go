package adtest

import (
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/ldaptest"
)

// Every enabled sample user binds with each of the three name forms, over
// LDAPS and over StartTLS.
func TestBindNameFormsOverTLS(t *testing.T) {
	dc := Shared(t)
	for _, key := range []string{KeyAlice, KeyBob, KeyJDoe, KeyPat, KeyLockout} {
		u := sampleUser(t, key)
		for _, name := range u.BindNames() {
			for _, tr := range []ldaptest.Transport{ldaptest.LDAPS, ldaptest.StartTLS} {
				t.Run(string(tr)+"/"+name, func(t *testing.T) {
					if err := bind(t, dc, tr, name, u.Password); err != nil {
						t.Fatalf("bind: %v", err)
					}
				})
			}
		}
	}
}

// Which spellings of a user name Samba accepts for a simple bind, beyond
// the three documented forms (see README, "Facts measured"). The refused
// spellings name no account, so they count against none.
func TestBindNameVariants(t *testing.T) {
	dc := Shared(t)
	alice := sampleUser(t, KeyAlice)
	jdoe := sampleUser(t, KeyJDoe)
	resetLockout(t, dc, alice.SAMAccountName)
	resetLockout(t, dc, jdoe.SAMAccountName)
	tests := []struct {
		name, bindName, password string
		ok                       bool
	}{
		{"upper-case UPN", "ALICE@CORP.EXAMPLE.ORG", alice.Password, true},
		{"upper-case DOMAIN\\user", `CORP\ALICE`, alice.Password, true},
		{"lower-case netbios domain", `corp\alice`, alice.Password, true},
		{"user@NETBIOS", "alice@CORP", alice.Password, true},
		{"implicit UPN sAMAccountName@dnsdomain", "jdoe@" + DNSDomain, jdoe.Password, true},
		{"UPN prefix with the netbios domain", `CORP\john.doe`, jdoe.Password, false},
		{"bare sAMAccountName", "alice", alice.Password, false},
		{"dnsdomain\\user", DNSDomain + `\alice`, alice.Password, false},
	}
	defer func() {
		for _, u := range []SampleUser{alice, jdoe} {
			if n := badPwdCount(t, dc, u.SAMAccountName); n != 0 {
				t.Errorf("%s: badPwdCount %d after refused spellings, want 0", u.SAMAccountName, n)
			}
		}
	}()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := bind(t, dc, ldaptest.LDAPS, tc.bindName, tc.password)
			if tc.ok && err != nil {
				t.Fatalf("bind %q: %v, want success", tc.bindName, err)
			}
			if !tc.ok && Diagnostic(err) != "52e" {
				t.Fatalf("bind %q: %v, want 49 data 52e", tc.bindName, err)
			}
		})
	}
}

// Samba refuses a simple bind on a connection without TLS.
func TestPlainSimpleBindRefused(t *testing.T) {
	dc := Shared(t)
	alice := sampleUser(t, KeyAlice)
	for _, name := range alice.BindNames() {
		t.Run(name, func(t *testing.T) {
			err := bind(t, dc, ldaptest.Plain, name, alice.Password)
			if ldaptest.ResultCode(err) != ldap.LDAPResultStrongAuthRequired {
				t.Fatalf("plain bind: %v, want result 8", err)
			}
			if !strings.Contains(err.Error(), "BindSimple: Transport encryption required.") {
				t.Fatalf("plain bind: %q lacks samba's message", err)
			}
		})
	}
}

// Each refused bind is 49 with an AD "data" code saying why.
func TestBindFailureDiagnostics(t *testing.T) {
	dc := Shared(t)
	alice := sampleUser(t, KeyAlice)
	resetLockout(t, dc, alice.SAMAccountName) // three wrong passwords below
	tests := []struct {
		name     string
		user     SampleUser
		password string
		data     string
	}{
		{"wrong password", alice, "not-" + alice.Password, "52e"},
		{"unknown user", SampleUser{UPN: "nobody@" + DNSDomain, SAMAccountName: "nobody", DN: "CN=Nobody," + PeopleDN}, "whatever-1", "52e"},
		{"disabled", sampleUser(t, KeyDisabled), sampleUser(t, KeyDisabled).Password, "533"},
		{"password expired", sampleUser(t, KeyExpired), sampleUser(t, KeyExpired).Password, "532"},
		{"must change password", sampleUser(t, KeyMustChange), sampleUser(t, KeyMustChange).Password, "773"},
	}
	for _, tc := range tests {
		for _, name := range tc.user.BindNames() {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				err := bind(t, dc, ldaptest.LDAPS, name, tc.password)
				if ldaptest.ResultCode(err) != ldap.LDAPResultInvalidCredentials {
					t.Fatalf("bind: %v, want 49", err)
				}
				if got := Diagnostic(err); got != tc.data {
					t.Fatalf("diagnostic %q in %q, want data %s", got, err, tc.data)
				}
				want := "80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data " + tc.data + ", v1db1"
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("message %q, want %q (as recorded in README)", err, want)
				}
			})
		}
	}
}

// A simple bind with a name and an empty password ("unauthenticated",
// RFC 4513) is refused by Samba like a wrong password, and it counts as
// one in badPwdCount (five lock the account); Windows AD is reported to
// accept it as anonymous instead. An empty name and password is anonymous
// and succeeds. Either way a client must refuse empty passwords itself
// (go-ldap's Bind does, before sending anything).
func TestEmptyPasswordBinds(t *testing.T) {
	dc := Shared(t)
	u, dn := newUser(t, dc, NewUser{})
	tests := []struct {
		name     string
		bindName string
		code     int
		data     string
		bad      int // badPwdCount afterwards
	}{
		{"unauthenticated with the DN", dn, ldap.LDAPResultInvalidCredentials, "52e", 1},
		{"unauthenticated with the UPN", u.SAMAccountName + "@" + DNSDomain, ldap.LDAPResultInvalidCredentials, "52e", 2},
		{"anonymous", "", ldap.LDAPResultSuccess, "", 2},
	}
	for _, tc := range tests {
		c := dial(t, dc, ldaptest.LDAPS)
		err := c.UnauthenticatedBind(tc.bindName)
		if ldaptest.ResultCode(err) != tc.code || Diagnostic(err) != tc.data {
			t.Fatalf("%s: %v, want result %d data %q", tc.name, err, tc.code, tc.data)
		}
		if got := badPwdCount(t, dc, u.SAMAccountName); got != tc.bad {
			t.Fatalf("%s: badPwdCount %d, want %d", tc.name, got, tc.bad)
		}
	}
	c := dial(t, dc, ldaptest.LDAPS)
	if err := c.Bind(dn, ""); ldaptest.ResultCode(err) != ldap.ErrorEmptyPassword {
		t.Fatalf("Bind with empty password: %v, want go-ldap's client-side refusal", err)
	}
	if got := badPwdCount(t, dc, u.SAMAccountName); got != 2 {
		t.Fatalf("go-ldap's refused Bind reached the DC: badPwdCount %d", got)
	}
}
