package ldapauth

import (
	"strings"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
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
		})
	}
}

// Cases both modes must answer the same way.
var commonCases = []authCase{
	{"alice", "alice-pass-1", 0, "alice"},
	{"Alice", "alice-pass-1", 0, "alice"},
	{"ALICE", "alice-pass-1", 0, "alice"},
	{"test", "test123", 0, "test"},
	{"o'brien", "obrien-pass-1", 0, "o'brien"},
	{"dave", "dave:pass word", 0, "dave"},
	{"alice", "wrong", KindInvalidCredentials, ""},
	{"alice", "alice-pass-1 ", KindInvalidCredentials, ""},
	{"nobody", "whatever", KindInvalidCredentials, ""},
	{"alice", "", KindInvalidCredentials, ""},
	// Injection attempts: each must be rejected, never match someone else.
	{"*", "alice-pass-1", KindInvalidCredentials, ""},
	{"a*", "alice-pass-1", KindInvalidCredentials, ""},
	{")(uid=*", "alice-pass-1", KindInvalidCredentials, ""},
	{"alice)(uid=*", "alice-pass-1", KindInvalidCredentials, ""},
	{"*)(|(uid=*", "x", KindInvalidCredentials, ""},
	{",ou=people", "alice-pass-1", KindInvalidCredentials, ""},
	{"alice,ou=people", "alice-pass-1", KindInvalidCredentials, ""},
	{"x,uid=alice", "alice-pass-1", KindInvalidCredentials, ""},
	{"alice\x00", "alice-pass-1", KindInvalidCredentials, ""},
	{"alice\\", "alice-pass-1", KindInvalidCredentials, ""},
	{"#alice", "alice-pass-1", KindInvalidCredentials, ""},
}

func TestDirectBind(t *testing.T) {
	srv := sharedLDAP(t)
	d := newTestDirectory(t, directConfig(srv, nil))
	runAuthCases(t, d, append(commonCases,
		authCase{" alice", "alice-pass-1", 0, "alice"},
		// The template points at ou=people, so only that twin exists here.
		authCase{"twin", "twin-pass-1", 0, "twin"},
		authCase{"twin", "twin-pass-2", KindInvalidCredentials, ""},
		// jsmith's entry is cn=Smith\, John: no uid= DN to bind as.
		authCase{"jsmith", "jsmith-pass-1", KindInvalidCredentials, ""},
	))
}

func TestSearchThenBind(t *testing.T) {
	srv := sharedLDAP(t)
	d := newTestDirectory(t, searchConfig(srv, nil))
	runAuthCases(t, d, append(commonCases,
		authCase{" alice", "alice-pass-1", 0, "alice"},
		// Two entries carry uid=twin: ambiguous, refused whatever the password.
		authCase{"twin", "twin-pass-1", KindInvalidCredentials, ""},
		authCase{"twin", "twin-pass-2", KindInvalidCredentials, ""},
		// A DN that needs escaping works through search.
		authCase{"jsmith", "jsmith-pass-1", 0, "jsmith"},
	))
}

func TestSearchScopeOne(t *testing.T) {
	srv := sharedLDAP(t)
	d := newTestDirectory(t, searchConfig(srv, map[string]interface{}{
		"search_base_dn": slapdtest.PeopleDN, "search_scope": "one",
	}))
	runAuthCases(t, d, []authCase{
		{"twin", "twin-pass-1", 0, "twin"}, // the contractor twin is out of scope
		{"alice", "alice-pass-1", 0, "alice"},
	})
}

// The sample ACLs allow anonymous binds but not anonymous searches: a
// search-then-bind setup without a service account is a misconfiguration
// there, and must say so rather than call every user's password wrong.
func TestAnonymousSearchRefusedIsAMisconfiguration(t *testing.T) {
	srv := sharedLDAP(t)
	d := newTestDirectory(t, searchConfig(srv, map[string]interface{}{"bind_dn": nil, "bind_password": nil}))
	if _, err := authenticate(d, "alice", "alice-pass-1"); KindOf(err) != KindMisconfigured {
		t.Fatalf("kind = %v (%v), want misconfiguration", KindOf(err), err)
	}
}

func TestIdentityAttributes(t *testing.T) {
	srv := sharedLDAP(t)
	for name, raw := range map[string]map[string]interface{}{
		"search": searchConfig(srv, map[string]interface{}{"attributes": []interface{}{"mail", "cn"}}),
		// Direct bind reads the entry with the service account when given.
		"direct+service": directConfig(srv, map[string]interface{}{"attributes": []interface{}{"mail", "cn"},
			"bind_dn": slapdtest.ServiceAccountDN, "bind_password": slapdtest.ServiceAccountPassword}),
	} {
		t.Run(name, func(t *testing.T) {
			d := newTestDirectory(t, raw)
			id, err := authenticate(d, "Alice", "alice-pass-1")
			if err != nil {
				t.Fatal(err)
			}
			if id.DN != "uid=alice,ou=people,dc=example,dc=org" || id.Attribute("mail") != "alice@example.org" || id.Attribute("cn") != "Alice Archer" {
				t.Fatalf("identity = %+v", id)
			}
		})
	}
}

func TestNonDNTemplateWithSearch(t *testing.T) {
	// Active Directory style: bind name is not a DN, the entry is then
	// found by the user search. OpenLDAP has no UPN binds, so this proves
	// the refusal of unsafe usernames and the error path only.
	srv := sharedLDAP(t)
	d := newTestDirectory(t, map[string]interface{}{
		"urls": srv.URL(), "user_dn_template": "{username}@example.org", "search_base_dn": slapdtest.BaseDN,
	})
	for _, user := range []string{"alice@evil.org", `evil\alice`, "a,b", " alice"} {
		if _, err := authenticate(d, user, "x"); KindOf(err) != KindInvalidCredentials {
			t.Errorf("%q: %v, want invalid credentials", user, err)
		}
	}
}

func TestEmptyPasswordNeverReachesTheServer(t *testing.T) {
	srv := sharedLDAP(t)
	d := newTestDirectory(t, directConfig(srv, nil))
	before := counters(t, srv)
	if _, err := authenticate(d, "alice", ""); KindOf(err) != KindInvalidCredentials {
		t.Fatalf("empty password: %v", err)
	}
	after := counters(t, srv)
	if diff := after.Sub(before); diff.Binds != 0 || diff.Connections != 0 {
		t.Fatalf("empty password caused LDAP traffic: %+v", diff)
	}
}

func TestTLSModes(t *testing.T) {
	srv := sharedLDAP(t)
	tests := []struct {
		name     string
		raw      map[string]interface{}
		wantKind Kind
	}{
		{"starttls with CA file", directConfig(srv, map[string]interface{}{"start_tls": true, "tls_ca_file": srv.CAFile()}), 0},
		{"starttls with CA pem", directConfig(srv, map[string]interface{}{"start_tls": true, "tls_ca_pem": string(srv.CAPEM())}), 0},
		{"starttls wrong CA", directConfig(srv, map[string]interface{}{"start_tls": true, "tls_ca_file": srv.WrongCAFile()}), KindUnavailable},
		{"starttls system roots", directConfig(srv, map[string]interface{}{"start_tls": true}), KindUnavailable},
		{"ldaps with CA", directConfig(srv, map[string]interface{}{"urls": srv.LDAPSURL(), "tls_ca_pem": string(srv.CAPEM())}), 0},
		{"ldaps wrong CA", directConfig(srv, map[string]interface{}{"urls": srv.LDAPSURL(), "tls_ca_pem": string(srv.WrongCAPEM())}), KindUnavailable},
		{"ldaps wrong server name", directConfig(srv, map[string]interface{}{"urls": srv.LDAPSURL(), "tls_ca_file": srv.CAFile(), "tls_server_name": "ldap.example.org"}), KindUnavailable},
		{"ldaps server name override", directConfig(srv, map[string]interface{}{"urls": srv.LDAPSURL(), "tls_ca_file": srv.CAFile(), "tls_server_name": "localhost"}), 0},
		{"ldaps skip verify", directConfig(srv, map[string]interface{}{"urls": srv.LDAPSURL(), "tls_ca_file": srv.WrongCAFile(), "tls_insecure_skip_verify": true}), 0},
		{"ldaps TLS 1.3 minimum", directConfig(srv, map[string]interface{}{"urls": srv.LDAPSURL(), "tls_ca_file": srv.CAFile(), "tls_min_version": "1.3"}), 0},
		{"search over starttls", searchConfig(srv, map[string]interface{}{"start_tls": true, "tls_ca_file": srv.CAFile()}), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDirectory(t, tt.raw)
			_, err := authenticate(d, "alice", "alice-pass-1")
			if KindOf(err) != tt.wantKind {
				t.Fatalf("kind = %v (%v), want %v", KindOf(err), err, tt.wantKind)
			}
		})
	}
}

func TestMisconfigurationIsReportedAsSuch(t *testing.T) {
	srv := sharedLDAP(t)
	tests := []struct {
		name string
		raw  map[string]interface{}
	}{
		{"wrong service password", searchConfig(srv, map[string]interface{}{"bind_password": "not-the-password"})},
		{"unknown service account", searchConfig(srv, map[string]interface{}{"bind_dn": "cn=nobody,dc=example,dc=org"})},
		{"missing search base", searchConfig(srv, map[string]interface{}{"search_base_dn": "ou=nowhere,dc=example,dc=org"})},
		{"username attribute absent", searchConfig(srv, map[string]interface{}{"username_attribute": "employeeNumber"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDirectory(t, tt.raw)
			if _, err := authenticate(d, "alice", "alice-pass-1"); KindOf(err) != KindMisconfigured {
				t.Fatalf("kind = %v (%v), want misconfiguration", KindOf(err), err)
			}
		})
	}
}

func TestFailoverToSecondServer(t *testing.T) {
	srv := sharedLDAP(t)
	log := &recordingLogger{}
	d := NewDirectory(mustConfig(t, directConfig(srv, map[string]interface{}{
		"urls": []interface{}{deadURL(t), srv.URL()},
	})), log)
	defer d.Close()
	for i := 0; i < 3; i++ {
		if _, err := authenticate(d, "alice", "alice-pass-1"); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	// The dead server was tried once, then skipped during its backoff.
	if n := log.count("failing over"); n != 1 {
		t.Fatalf("failover logged %d times, want 1:\n%s", n, log.all())
	}
}

func TestGroups(t *testing.T) {
	srv := sharedLDAP(t)
	groupBase := map[string]interface{}{"group_base_dn": slapdtest.GroupsDN}
	tests := []struct {
		name   string
		raw    map[string]interface{}
		user   string
		pass   string
		groups []string
	}{
		{"memberof alice", searchConfig(srv, map[string]interface{}{"group_source": "memberof"}), "alice", "alice-pass-1", []string{"developers"}},
		{"memberof carol", searchConfig(srv, map[string]interface{}{"group_source": "memberof"}), "carol", "carol-pass-1", nil},
		{"memberof nested alice", searchConfig(srv, map[string]interface{}{"group_source": "memberof", "nested_groups": true}), "alice", "alice-pass-1", []string{"developers", "engineering"}},
		{"search posix test", searchConfig(srv, merge(map[string]interface{}{"group_source": "search"}, groupBase)), "test", "test123", []string{"testgroup"}},
		{"search alice", searchConfig(srv, merge(map[string]interface{}{"group_source": "search"}, groupBase)), "alice", "alice-pass-1", []string{"developers"}},
		{"search nested alice", searchConfig(srv, merge(map[string]interface{}{"group_source": "search", "nested_groups": true}, groupBase)), "alice", "alice-pass-1", []string{"developers", "engineering"}},
		{"search bob uniqueMember", searchConfig(srv, merge(map[string]interface{}{"group_source": "search"}, groupBase)), "bob", "bob-pass-1", []string{"admins", "auditors"}},
		{"search carol", searchConfig(srv, merge(map[string]interface{}{"group_source": "search"}, groupBase)), "carol", "carol-pass-1", nil},
		{"direct bind, groups as the service account", directConfig(srv, merge(map[string]interface{}{"group_source": "search",
			"bind_dn": slapdtest.ServiceAccountDN, "bind_password": slapdtest.ServiceAccountPassword}, groupBase)), "alice", "alice-pass-1", []string{"developers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDirectory(t, tt.raw)
			id, err := authenticate(d, tt.user, tt.pass)
			if err != nil {
				t.Fatal(err)
			}
			got := id.GroupNames()
			if strings.Join(sorted(got), ",") != strings.Join(sorted(tt.groups), ",") {
				t.Fatalf("groups = %v, want %v", got, tt.groups)
			}
		})
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// A membership loop (a in b, b in a) must terminate.
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
	for _, source := range []string{"search", "memberof"} {
		d := newTestDirectory(t, searchConfig(srv, map[string]interface{}{
			"group_source": source, "group_base_dn": slapdtest.GroupsDN, "nested_groups": true, "request_timeout": "2s",
		}))
		start := time.Now()
		id, err := authenticate(d, "carol", "carol-pass-1")
		if err != nil {
			t.Fatalf("%s: %v", source, err)
		}
		if got := strings.Join(sorted(id.GroupNames()), ","); got != "loop-a,loop-b" {
			t.Fatalf("%s: groups = %s", source, got)
		}
		if time.Since(start) > 2*time.Second {
			t.Fatalf("%s: loop took %v", source, time.Since(start))
		}
	}
}
