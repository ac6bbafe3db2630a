package slapdtest

import (
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/ldaptest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
)

// Every sample account binds with its password and is refused (49) with a
// wrong one, over each transport, with the CA verified.
func TestBindsAllUsersAllTransports(t *testing.T) {
	s := StartT(t)
	type account struct{ name, dn, pw string }
	accounts := []account{{"service", ServiceAccountDN, ServiceAccountPassword}}
	for _, u := range SampleUsers() {
		accounts = append(accounts, account{u.Key, u.DN, u.Password})
	}
	for _, tr := range ldaptest.Transports {
		for _, a := range accounts {
			for _, tc := range []struct {
				name string
				pw   string
				want int
			}{
				{"right", a.pw, 0},
				{"wrong", a.pw + "x", ldap.LDAPResultInvalidCredentials},
			} {
				t.Run(string(tr)+"/"+a.name+"/"+tc.name, func(t *testing.T) {
					if got := ldaptest.ResultCode(bindOnce(t, s, tr, a.dn, tc.pw)); got != tc.want {
						t.Fatalf("bind %s: result %d, want %d", a.dn, got, tc.want)
					}
				})
			}
		}
	}
	// An unknown DN looks exactly like a wrong password.
	if got := ldaptest.ResultCode(bindOnce(t, s, ldaptest.Plain, "uid=nobody,"+PeopleDN, "x")); got != ldap.LDAPResultInvalidCredentials {
		t.Fatalf("unknown DN: result %d, want 49", got)
	}
}

func TestWrongCAIsRejected(t *testing.T) {
	s := StartT(t)
	for _, tr := range []ldaptest.Transport{ldaptest.StartTLS, ldaptest.LDAPS} {
		t.Run(string(tr), func(t *testing.T) {
			c, err := dial(s, tr, s.WrongCAPEM())
			if err == nil {
				c.Close()
				t.Fatal("TLS with an unrelated CA succeeded")
			}
			if !strings.Contains(err.Error(), "certificate") {
				t.Fatalf("want a certificate error, got %v", err)
			}
		})
	}
	// The same dial with the right CA works, so the failure above is the CA.
	c, err := dial(s, ldaptest.LDAPS, s.CAPEM())
	if err != nil {
		t.Fatalf("right CA: %v", err)
	}
	c.Close()
}

// The files hold the same PEM as the accessors, and ClientTLSConfig works.
func TestCAFilesAndClientTLSConfig(t *testing.T) {
	s := StartT(t)
	for _, tc := range []struct {
		name string
		file string
		pem  []byte
	}{
		{"ca", s.CAFile(), s.CAPEM()},
		{"wrong-ca", s.WrongCAFile(), s.WrongCAPEM()},
	} {
		b := testutil.ReadFile(t, tc.file)
		if string(b) != string(tc.pem) || !strings.Contains(string(b), "BEGIN CERTIFICATE") {
			t.Fatalf("%s: file and PEM differ or not a certificate", tc.name)
		}
	}
	c, err := ldap.DialURL(s.LDAPSURL(), ldap.DialWithTLSConfig(s.ClientTLSConfig()))
	if err != nil {
		t.Fatalf("ldaps with ClientTLSConfig: %v", err)
	}
	defer c.Close()
	if err := c.Bind(ServiceAccountDN, ServiceAccountPassword); err != nil {
		t.Fatalf("bind: %v", err)
	}
}
