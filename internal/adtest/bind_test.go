package adtest

import (
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"
)

// Every enabled sample user binds with each of the three name forms, over
// LDAPS and over StartTLS.
func TestBindNameFormsOverTLS(t *testing.T) {
	dc := Shared(t)
	for _, key := range []string{KeyAlice, KeyBob, KeyJDoe, KeyPat, KeyLockout} {
		u := sampleUser(t, key)
		for _, name := range u.BindNames() {
			for _, tr := range []transport{ldaps, startTLS} {
				t.Run(string(tr)+"/"+name, func(t *testing.T) {
					if err := bind(t, dc, tr, name, u.Password); err != nil {
						t.Fatalf("bind: %v", err)
					}
				})
			}
		}
	}
}

// Which spellings of a user name AD accepts for a simple bind, beyond the
// three documented forms (see README, "Facts measured").
func TestBindNameVariants(t *testing.T) {
	dc := Shared(t)
	alice := sampleUser(t, KeyAlice)
	jdoe := sampleUser(t, KeyJDoe)
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
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := bind(t, dc, ldaps, tc.bindName, tc.password)
			if tc.ok && err != nil {
				t.Fatalf("bind %q: %v, want success", tc.bindName, err)
			}
			if !tc.ok && resultCode(err) != ldap.LDAPResultInvalidCredentials {
				t.Fatalf("bind %q: %v, want 49", tc.bindName, err)
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
			err := bind(t, dc, plain, name, alice.Password)
			if resultCode(err) != ldap.LDAPResultStrongAuthRequired {
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
				err := bind(t, dc, ldaps, name, tc.password)
				if resultCode(err) != ldap.LDAPResultInvalidCredentials {
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

// A simple bind with a DN and an empty password ("unauthenticated", RFC
// 4513) is refused by Samba like a wrong password; Windows AD is reported
// to accept it as anonymous. An empty name and password is anonymous and
// succeeds on both. Either way, a client must refuse empty passwords
// itself (go-ldap's Bind does, client-side).
func TestEmptyPasswordBinds(t *testing.T) {
	dc := Shared(t)
	alice := sampleUser(t, KeyAlice)
	tests := []struct {
		name     string
		bindName string
		code     int
		data     string
	}{
		{"unauthenticated with a DN", alice.DN, ldap.LDAPResultInvalidCredentials, "52e"},
		{"unauthenticated with a UPN", alice.UPN, ldap.LDAPResultInvalidCredentials, "52e"},
		{"anonymous", "", ldap.LDAPResultSuccess, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, dc, ldaps)
			err := c.UnauthenticatedBind(tc.bindName)
			if resultCode(err) != tc.code || Diagnostic(err) != tc.data {
				t.Fatalf("unauthenticated bind %q: %v, want result %d data %q", tc.bindName, err, tc.code, tc.data)
			}
		})
	}
	c := dial(t, dc, ldaps)
	if err := c.Bind(alice.DN, ""); resultCode(err) != ldap.ErrorEmptyPassword {
		t.Fatalf("Bind with empty password: %v, want go-ldap's client-side refusal", err)
	}
}
