package directory

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/secret"
)

type authCase struct {
	user, pass string
	wantKind   Kind   // 0: success
	wantUser   string // canonical username on success
}

func runAuthCases(t *testing.T, d *Directory, cases []authCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.user, "/", "_")+"/"+c.pass, func(t *testing.T) {
			id, err := authenticate(d, c.user, c.pass)
			if KindOf(err) != c.wantKind {
				t.Fatalf("kind = %v (%v), want %v", KindOf(err), err, c.wantKind)
			}
			if c.wantKind == 0 && id.Username != c.wantUser {
				t.Fatalf("username = %q, want %q", id.Username, c.wantUser)
			}
			if c.wantKind != 0 && id != nil {
				t.Fatalf("identity %+v returned with an error", id)
			}
		})
	}
}

// Cases both strategies must answer the same way.
var commonCases = []authCase{
	{"alice", "alice-pass-1", 0, "alice"},
	{"Alice", "alice-pass-1", 0, "alice"},
	{"ALICE", "alice-pass-1", 0, "alice"},
	{" alice", "alice-pass-1", 0, "alice"},
	{"test", "test123", 0, "test"},
	{"o'brien", "obrien-pass-1", 0, "o'brien"},
	{"dave", "dave:pass word", 0, "dave"},
	{"alice", "wrong", KindInvalidCredentials, ""},
	{"alice", "alice-pass-1 ", KindInvalidCredentials, ""},
	{"alice", "bob-pass-1", KindInvalidCredentials, ""},
	{"nobody", "whatever", KindInvalidCredentials, ""},
	{"alice", "", KindInvalidCredentials, ""},
	{"", "alice-pass-1", KindInvalidCredentials, ""},
}

// injectionCases must be refused whatever they try, and never bind as
// someone else.
var injectionCases = []authCase{
	{"*", "alice-pass-1", KindInvalidCredentials, ""},
	{"a*", "alice-pass-1", KindInvalidCredentials, ""},
	{")(uid=*", "alice-pass-1", KindInvalidCredentials, ""},
	{"alice)(uid=*", "alice-pass-1", KindInvalidCredentials, ""},
	{"*)(|(uid=*", "x", KindInvalidCredentials, ""},
	{",ou=people", "alice-pass-1", KindInvalidCredentials, ""},
	{"alice,ou=people", "alice-pass-1", KindInvalidCredentials, ""},
	{"x,uid=alice", "alice-pass-1", KindInvalidCredentials, ""},
	{"alice+cn=Alice Archer", "alice-pass-1", KindInvalidCredentials, ""},
	{"alice\x00", "alice-pass-1", KindInvalidCredentials, ""},
	{"alice\\", "alice-pass-1", KindInvalidCredentials, ""},
	{"alice\\2a", "alice-pass-1", KindInvalidCredentials, ""},
	{"#alice", "alice-pass-1", KindInvalidCredentials, ""},
	{"alice\xff", "alice-pass-1", KindInvalidCredentials, ""},
}

func TestDirectBind(t *testing.T) {
	srv := sharedLDAP(t)
	d := newDirectory(t, directOptions(t, srv))
	runAuthCases(t, d, append(append([]authCase{}, commonCases...),
		// The template points at ou=people, so only that twin exists here.
		authCase{"twin", "twin-pass-1", 0, "twin"},
		authCase{"twin", "twin-pass-2", KindInvalidCredentials, ""},
		// jsmith's entry is cn=Smith\, John: there is no uid= DN to bind as.
		authCase{"jsmith", "jsmith-pass-1", KindInvalidCredentials, ""},
	))
}

func TestSearchThenBind(t *testing.T) {
	srv := sharedLDAP(t)
	d := newDirectory(t, searchOptions(t, srv))
	runAuthCases(t, d, append(append([]authCase{}, commonCases...),
		// Two entries carry uid=twin: ambiguous, refused whatever the password.
		authCase{"twin", "twin-pass-1", KindInvalidCredentials, ""},
		authCase{"twin", "twin-pass-2", KindInvalidCredentials, ""},
		// A DN that needs escaping works through search.
		authCase{"jsmith", "jsmith-pass-1", 0, "jsmith"},
	))
}

// Ambiguity is refused before any password is sent: binding "the first
// twin" could let the wrong account in.
func TestTwinsAreNeverBound(t *testing.T) {
	srv := sharedLDAP(t)
	d := newDirectory(t, searchOptions(t, srv))
	mustAuthenticate(t, d, "alice", "alice-pass-1") // warms the service connection
	before := counters(t, srv)
	for _, pw := range []string{"twin-pass-1", "twin-pass-2"} {
		if _, err := authenticate(d, "twin", pw); KindOf(err) != KindInvalidCredentials {
			t.Fatalf("twin/%s: %v", pw, err)
		}
	}
	if binds := userBinds(counters(t, srv).Sub(before)); len(binds) != 0 {
		t.Fatalf("an ambiguous user was bound: %v", binds)
	}
}

func TestInjectionsNeverBindAsSomeoneElse(t *testing.T) {
	srv := sharedLDAP(t)
	known := map[string]bool{}
	for _, u := range slapdtest.SampleUsers() {
		known[NormalizeDN(u.DN)] = true
	}
	for _, st := range strategies {
		t.Run(st.name, func(t *testing.T) {
			d := newDirectory(t, st.options(t, srv))
			mustAuthenticate(t, d, "alice", "alice-pass-1") // warms the pools
			for _, c := range injectionCases {
				before := counters(t, srv)
				id, err := authenticate(d, c.user, c.pass)
				if KindOf(err) != c.wantKind || id != nil {
					t.Errorf("%q: identity %v, error %v; want %v", c.user, id, err, c.wantKind)
				}
				binds := userBinds(counters(t, srv).Sub(before))
				for dn := range binds {
					if known[NormalizeDN(dn)] {
						t.Errorf("%q bound as the existing entry %s", c.user, dn)
					}
				}
				// Search-then-bind finds no entry, so nothing is bound at
				// all; direct bind sends one bind for the escaped name.
				if want := map[string]int{"direct": 1, "search": 0}[st.name]; total(binds) > want {
					t.Errorf("%q sent %d user binds (%v), want at most %d", c.user, total(binds), binds, want)
				}
			}
		})
	}
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func TestSearchScopeOne(t *testing.T) {
	srv := sharedLDAP(t)
	people := searchOptions(t, srv)
	people.SearchBaseDN, people.SearchScope = slapdtest.PeopleDN, ScopeOneLevel
	runAuthCases(t, newDirectory(t, people), []authCase{
		{"twin", "twin-pass-1", 0, "twin"}, // the contractor twin is out of scope
		{"twin", "twin-pass-2", KindInvalidCredentials, ""},
		{"alice", "alice-pass-1", 0, "alice"},
	})
	// From the suffix, one level holds only the OUs: nobody is found.
	suffix := searchOptions(t, srv)
	suffix.SearchScope = ScopeOneLevel
	runAuthCases(t, newDirectory(t, suffix), []authCase{
		{"alice", "alice-pass-1", KindInvalidCredentials, ""},
	})
}

func TestEmptyCredentialsNeverReachTheServer(t *testing.T) {
	srv := sharedLDAP(t)
	for _, st := range strategies {
		t.Run(st.name, func(t *testing.T) {
			d := newDirectory(t, st.options(t, srv))
			before := counters(t, srv)
			for _, c := range [][2]string{{"alice", ""}, {"", "alice-pass-1"}, {"", ""}} {
				if _, err := authenticate(d, c[0], c[1]); KindOf(err) != KindInvalidCredentials {
					t.Fatalf("%q/%q: %v", c[0], c[1], err)
				}
			}
			if diff := counters(t, srv).Sub(before); diff.Binds != 0 || diff.Connections != 0 || diff.Searches != 0 {
				t.Fatalf("empty credentials caused LDAP traffic: %+v", diff)
			}
		})
	}
}

// The sample ACLs allow anonymous binds but not anonymous searches: a
// search-then-bind setup without a service account is a misconfiguration
// there, and must say so rather than call every user's password wrong.
func TestAnonymousSearchRefusedIsAMisconfiguration(t *testing.T) {
	srv := sharedLDAP(t)
	o := searchOptions(t, srv)
	o.BindDN, o.BindPassword = "", ""
	if _, err := authenticate(newDirectory(t, o), "alice", "alice-pass-1"); KindOf(err) != KindMisconfigured {
		t.Fatalf("kind = %v (%v), want misconfiguration", KindOf(err), err)
	}
}

func TestMisconfigurationIsReportedAsSuch(t *testing.T) {
	srv := sharedLDAP(t)
	tests := []struct {
		name   string
		change func(*Options)
	}{
		{"wrong service password", func(o *Options) { o.BindPassword = secret.Value("not-the-password") }},
		{"unknown service account", func(o *Options) { o.BindDN = "cn=nobody,dc=example,dc=org" }},
		{"missing search base", func(o *Options) { o.SearchBaseDN = "ou=nowhere,dc=example,dc=org" }},
		{"username attribute absent", func(o *Options) { o.UsernameAttribute = "employeeNumber" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := searchOptions(t, srv)
			tt.change(&o)
			before := counters(t, srv)
			_, err := authenticate(newDirectory(t, o), "alice", "alice-pass-1")
			if KindOf(err) != KindMisconfigured {
				t.Fatalf("kind = %v (%v), want misconfiguration", KindOf(err), err)
			}
			if strings.Contains(err.Error(), "alice-pass-1") || strings.Contains(err.Error(), slapdtest.ServiceAccountPassword) {
				t.Fatalf("the error repeats a password: %v", err)
			}
			// A refused service account is never the user's fault, and
			// the user's password is never sent on its behalf.
			if tt.name != "username attribute absent" {
				if diff := counters(t, srv).Sub(before); diff.BindsByDN[sampleUser(t, "ALICE").DN] != 0 {
					t.Fatalf("the user was bound despite the misconfiguration: %v", diff.BindsByDN)
				}
			}
		})
	}
}

func TestIdentityAttributes(t *testing.T) {
	srv := sharedLDAP(t)
	alice := sampleUser(t, "ALICE")
	for name, o := range map[string]Options{
		"search":         searchOptions(t, srv),
		"direct":         directOptions(t, srv),
		"direct+service": withServiceAccount(directOptions(t, srv)),
	} {
		t.Run(name, func(t *testing.T) {
			o.Attributes = []string{"mail", "cn", "telephoneNumber"}
			id := mustAuthenticate(t, newDirectory(t, o), "Alice", alice.Password)
			if id.DN != alice.DN || id.Username != alice.UID {
				t.Fatalf("identity = %+v", id)
			}
			if got := id.Attributes["mail"]; len(got) != 1 || got[0] != alice.Mail {
				t.Fatalf("mail = %v", got)
			}
			if got := id.Attributes["cn"]; len(got) != 1 || got[0] != alice.CN {
				t.Fatalf("cn = %v", got)
			}
			if got, present := id.Attributes["telephoneNumber"]; present {
				t.Fatalf("an attribute the entry lacks is present: %v", got)
			}
		})
	}
}

// A userPrincipalName template on OpenLDAP: the refusal of usernames that
// could name another account or domain, before any bind.
func TestNonDNTemplateRefusesUnsafeNames(t *testing.T) {
	srv := sharedLDAP(t)
	o := directOptions(t, srv)
	o.BindTemplate = mustBindTemplate(t, "{username}@example.org")
	o.SearchBaseDN = slapdtest.BaseDN
	d := newDirectory(t, o)
	before := counters(t, srv)
	for _, user := range []string{"alice@evil.org", `evil\alice`, "a,b", " alice", "alice ", "a=b", "a*", "(a)", "<a>", `a"b`, "#a", "a;b", "a+b", "a/b"} {
		if _, err := authenticate(d, user, "x"); KindOf(err) != KindInvalidCredentials {
			t.Errorf("%q: %v, want invalid credentials", user, err)
		}
	}
	if diff := counters(t, srv).Sub(before); diff.Binds != 0 {
		t.Fatalf("refused names reached the server: %+v", diff)
	}
	// A safe name is sent; OpenLDAP knows no UPNs and refuses the bind.
	if _, err := authenticate(d, "alice", "alice-pass-1"); KindOf(err) != KindInvalidCredentials {
		t.Fatalf("alice@example.org on OpenLDAP: %v", err)
	}
}

func TestTLSModes(t *testing.T) {
	srv := sharedLDAP(t)
	ldaps := []Server{mustServer(t, srv.LDAPSURL())}
	ca, wrongCA := caPool(t, srv.CAPEM()), caPool(t, srv.WrongCAPEM())
	tests := []struct {
		name         string
		options      func(testing.TB, *slapdtest.Server) Options
		change       func(*Options)
		wantKind     Kind
		wantStartTLS bool
	}{
		{"starttls", directOptions, func(o *Options) { o.StartTLS, o.TLS.RootCAs = true, ca }, 0, true},
		{"starttls wrong CA", directOptions, func(o *Options) { o.StartTLS, o.TLS.RootCAs = true, wrongCA }, KindUnavailable, true},
		{"starttls system roots", directOptions, func(o *Options) { o.StartTLS = true }, KindUnavailable, true},
		{"starttls wrong server name", directOptions, func(o *Options) {
			o.StartTLS, o.TLS.RootCAs, o.TLS.ServerName = true, ca, "ldap.example.org"
		}, KindUnavailable, true},
		{"ldaps", directOptions, func(o *Options) { o.Servers, o.TLS.RootCAs = ldaps, ca }, 0, false},
		{"ldaps wrong CA", directOptions, func(o *Options) { o.Servers, o.TLS.RootCAs = ldaps, wrongCA }, KindUnavailable, false},
		{"ldaps wrong server name", directOptions, func(o *Options) {
			o.Servers, o.TLS.RootCAs, o.TLS.ServerName = ldaps, ca, "ldap.example.org"
		}, KindUnavailable, false},
		{"ldaps server name override", directOptions, func(o *Options) {
			o.Servers, o.TLS.RootCAs, o.TLS.ServerName = ldaps, ca, "localhost"
		}, 0, false},
		{"ldaps skip verify", directOptions, func(o *Options) {
			o.Servers, o.TLS.RootCAs, o.TLS.InsecureSkipVerify = ldaps, wrongCA, true
		}, 0, false},
		{"ldaps TLS 1.3 minimum", directOptions, func(o *Options) {
			o.Servers, o.TLS.RootCAs, o.TLS.MinVersion = ldaps, ca, tls.VersionTLS13
		}, 0, false},
		{"search over starttls", searchOptions, func(o *Options) { o.StartTLS, o.TLS.RootCAs = true, ca }, 0, true},
		{"search over ldaps", searchOptions, func(o *Options) { o.Servers, o.TLS.RootCAs = ldaps, ca }, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := fastTimeouts(tt.options(t, srv))
			tt.change(&o)
			before := counters(t, srv)
			id, err := authenticate(newDirectory(t, o), "alice", "alice-pass-1")
			if KindOf(err) != tt.wantKind {
				t.Fatalf("kind = %v (%v), want %v", KindOf(err), err, tt.wantKind)
			}
			diff := counters(t, srv).Sub(before)
			if tt.wantStartTLS && diff.StartTLS == 0 {
				t.Fatalf("no StartTLS reached the server: %+v", diff)
			}
			if !tt.wantStartTLS && diff.StartTLS != 0 {
				t.Fatalf("unexpected StartTLS: %+v", diff)
			}
			if tt.wantKind != 0 && len(userBinds(diff)) != 0 {
				t.Fatalf("the password was sent over a connection that failed verification: %v", diff.BindsByDN)
			}
			if tt.wantKind == 0 && id.Username != "alice" {
				t.Fatalf("identity %+v", id)
			}
		})
	}
}

func TestNewRefusesUnusableOptions(t *testing.T) {
	srv := sharedLDAP(t)
	upn := mustBindTemplate(t, "{username}@example.org")
	tests := []struct {
		name   string
		base   func(testing.TB, *slapdtest.Server) Options
		change func(*Options)
	}{
		{"no servers", searchOptions, func(o *Options) { o.Servers = nil }},
		{"no username attribute", searchOptions, func(o *Options) { o.UsernameAttribute = "" }},
		{"search without base", searchOptions, func(o *Options) { o.SearchBaseDN = "" }},
		{"search without filter", searchOptions, func(o *Options) { o.SearchFilter = Template{} }},
		{"UPN template without base", directOptions, func(o *Options) { o.BindTemplate = upn }},
		{"unique check without base", directOptions, func(o *Options) {
			o.BindTemplate = mustBindTemplate(t, "cn={username}+uid=x,ou=people,dc=example,dc=org")
			o.UsernameAttribute = "mail"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.base(t, srv)
			if _, err := New(o); err != nil {
				t.Fatalf("the unchanged options are refused: %v", err)
			}
			tt.change(&o)
			if d, err := New(o); err == nil {
				d.Close()
				t.Fatal("New accepted unusable options")
			}
		})
	}
}
