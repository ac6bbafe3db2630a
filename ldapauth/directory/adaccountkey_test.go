package directory

import (
	"context"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/adtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/secret"
)

// errStopBeforeBind is what the recording guard below answers: the bind is
// never sent, so these tests leave no bad-password count on the DC.
var errStopBeforeBind = errors.New("stopped before the bind")

// TestADAccountKeys checks the account key the guard gets for Active
// Directory bind names, against a real Samba AD DC. jdoe's
// userPrincipalName is john.doe@corp.example.org, and AD also binds
// jdoe@corp.example.org (sAMAccountName@domain) as jdoe: one account, two
// names. With a service account the entry is resolved before the bind, so
// every name of one account, in either template form, has the key of its
// entry and shares one budget of attempts. Without one, nothing can be
// looked up before the bind and each name has its own key. A name that
// resolves to no entry keeps its name key.
func TestADAccountKeys(t *testing.T) {
	dc := adtest.StartT(t)
	jdoe, ok := adtest.SampleUserByKey(adtest.KeyJDoe)
	if !ok {
		t.Fatal("no sample user jdoe")
	}
	jdoeKey := "dn:" + NormalizeDN(jdoe.DN)
	const upn, downLevel = "{username}@" + adtest.DNSDomain, adtest.Domain + `\{username}`
	cases := []struct {
		template string
		service  bool
		typed    string
		key      string
	}{
		{upn, true, "john.doe", jdoeKey},
		{upn, true, "jdoe", jdoeKey},
		{upn, true, "JDOE", jdoeKey},
		{downLevel, true, "jdoe", jdoeKey},
		{downLevel, true, "JDoe", jdoeKey},
		{upn, true, "mallory", "name:mallory@corp.example.org"},
		{downLevel, true, "john.doe", `name:corp\john.doe`}, // CORP\john.doe names no account
		{upn, false, "john.doe", "name:john.doe@corp.example.org"},
		{upn, false, "jdoe", "name:jdoe@corp.example.org"},
		{downLevel, false, "JDoe", `name:corp\jdoe`},
	}
	for _, tc := range cases {
		name := tc.template + "/" + tc.typed
		if tc.service {
			name += "/service account"
		}
		t.Run(name, func(t *testing.T) {
			d := newADDirectory(t, dc, tc.template, tc.service)
			var keys []string
			guard := func(_ context.Context, account string) (BindDone, error) {
				keys = append(keys, account)
				return nil, errStopBeforeBind
			}
			_, err := d.Authenticate(context.Background(), tc.typed, jdoe.Password, guard)
			if KindOf(err) != KindRefused || !errors.Is(err, errStopBeforeBind) {
				t.Fatalf("Authenticate: %v, want the guard's refusal", err)
			}
			if len(keys) != 1 || keys[0] != tc.key {
				t.Fatalf("guard keys %q, want [%s]", keys, tc.key)
			}
		})
	}

	// The entry found before the bind is the identity after it.
	for _, typed := range []string{"john.doe", "jdoe"} {
		t.Run("sign in as "+typed, func(t *testing.T) {
			d := newADDirectory(t, dc, upn, true)
			var outcomes []BindOutcome
			guard := func(_ context.Context, account string) (BindDone, error) {
				if account != jdoeKey {
					t.Errorf("guard key %q, want %s", account, jdoeKey)
				}
				return func(o BindOutcome) { outcomes = append(outcomes, o) }, nil
			}
			id, err := d.Authenticate(context.Background(), typed, jdoe.Password, guard)
			if err != nil {
				t.Fatal(err)
			}
			if id.Username != jdoe.SAMAccountName || NormalizeDN(id.DN) != NormalizeDN(jdoe.DN) || len(outcomes) != 1 || outcomes[0] != BindSucceeded {
				t.Fatalf("identity %+v, outcomes %v: want %s (%s), one successful bind", id, outcomes, jdoe.SAMAccountName, jdoe.DN)
			}
		})
	}
}

// newADDirectory is a Directory for dc over LDAPS with a direct-bind
// template, sAMAccountName as the canonical username and, when service is
// set, the domain's Administrator as service account.
func newADDirectory(t *testing.T, dc *adtest.DC, template string, service bool) *Directory {
	t.Helper()
	srv, err := ParseServer(dc.LDAPSURL())
	if err != nil {
		t.Fatal(err)
	}
	bt, err := ParseBindTemplate(template)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(dc.CAPEM()) {
		t.Fatal("the DC's CA is not PEM")
	}
	opts := Options{
		Servers:           []Server{srv},
		TLS:               TLSOptions{RootCAs: roots},
		BindTemplate:      bt,
		SearchBaseDN:      adtest.BaseDN,
		UsernameAttribute: "sAMAccountName",
	}
	if service {
		opts.BindDN, opts.BindPassword = dc.AdminDN(), secret.Value(dc.AdminPassword())
	}
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

// On Active Directory (a real Samba AD DC) the write probe reads the
// default rights: a user may change their own telephoneNumber (the
// Personal-Information property set grants SELF write), not their
// sAMAccountName.
func TestADOwnAttributeWritable(t *testing.T) {
	dc := adtest.StartT(t)
	alice, _ := adtest.SampleUserByKey(adtest.KeyAlice)
	d := newADDirectory(t, dc, "{username}@"+adtest.DNSDomain, true)
	for attr, want := range map[string]bool{"telephoneNumber": true, "sAMAccountName": false} {
		got, err := d.OwnAttributeWritable(context.Background(), alice.DN, alice.Password, attr)
		if err != nil || got != want {
			t.Errorf("%s: writable %v (%v), want %v", attr, got, err, want)
		}
	}
}
