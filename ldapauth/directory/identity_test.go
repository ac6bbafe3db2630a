package directory

import (
	"strings"
	"testing"

	ldap "github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// entryUUIDOf reads dn's entryUUID as the rootdn, independently of the code
// under test.
func entryUUIDOf(t testing.TB, srv *slapdtest.Server, dn string) string {
	t.Helper()
	c, err := srv.AdminConn()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", []string{"entryUUID"}, nil))
	if err != nil || len(res.Entries) != 1 {
		t.Fatalf("read entryUUID of %s: %v", dn, err)
	}
	uuid := res.Entries[0].GetAttributeValue("entryUUID")
	if uuid == "" {
		t.Fatalf("%s has no entryUUID", dn)
	}
	return uuid
}

// The ID is slapd's entryUUID (operational, so only returned because it is
// asked for), and every spelling of the user, in either strategy, gets the
// same Username and ID.
func TestIdentityIDIsEntryUUIDAndStable(t *testing.T) {
	srv := sharedLDAP(t)
	alice := sampleUser(t, "ALICE")
	wantID := "entryUUID:" + strings.ToLower(entryUUIDOf(t, srv, alice.DN))
	for _, st := range strategies {
		d := newDirectory(t, st.options(t, srv))
		for _, spelling := range []string{"alice", "Alice", "ALICE", " alice", "alice "} {
			id := mustAuthenticate(t, d, spelling, alice.Password)
			if id.ID != wantID || id.Username != "alice" || NormalizeDN(id.DN) != NormalizeDN(alice.DN) {
				t.Errorf("%s %q: ID %q username %q DN %q; want %q, alice, %s", st.name, spelling, id.ID, id.Username, id.DN, wantID, alice.DN)
			}
		}
	}
	bob := mustAuthenticate(t, newDirectory(t, searchOptions(t, srv)), "bob", "bob-pass-1")
	if bob.ID == wantID || !strings.HasPrefix(bob.ID, "entryUUID:") {
		t.Fatalf("bob's ID %q (alice's is %q)", bob.ID, wantID)
	}
}

func TestUniqueID(t *testing.T) {
	guid := []byte{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10}
	tests := []struct {
		name  string
		entry *ldap.Entry
		want  string
	}{
		{"entryUUID, lower-cased", entryWith("uid=a,dc=x", "entryUUID", "5B1C0F2E-AAAA-1041-84C3-A597241B1CD6"),
			"entryUUID:5b1c0f2e-aaaa-1041-84c3-a597241b1cd6"},
		{"objectGUID as hex", rawEntryWith("CN=A,DC=x", "objectGUID", guid), "objectGUID:0102030405060708090a0b0c0d0e0f10"},
		{"objectGUID of the wrong length", rawEntryWith("CN=A,DC=x", "objectGUID", guid[:15]), "dn:cn=a,dc=x"},
		{"two entryUUIDs", entryWith("UID=A, DC=X", "entryUUID", "u1", "u2"), "dn:uid=a,dc=x"},
		{"neither", entryWith("UID=A, DC=X", ""), "dn:uid=a,dc=x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := uniqueID(tt.entry); got != tt.want {
				t.Fatalf("uniqueID = %q, want %q", got, tt.want)
			}
		})
	}
}

func entryWith(dn, attr string, values ...string) *ldap.Entry {
	e := &ldap.Entry{DN: dn}
	if attr != "" && len(values) > 0 {
		raw := make([][]byte, len(values))
		for i, v := range values {
			raw[i] = []byte(v)
		}
		e.Attributes = append(e.Attributes, &ldap.EntryAttribute{Name: attr, Values: values, ByteValues: raw})
	}
	return e
}

func rawEntryWith(dn, attr string, value []byte) *ldap.Entry {
	return &ldap.Entry{DN: dn, Attributes: []*ldap.EntryAttribute{{Name: attr, Values: []string{string(value)}, ByteValues: [][]byte{value}}}}
}

// With two values of the username attribute, which one is "the user" would
// be up to the server's ordering: refused as a misconfiguration.
func TestIdentityRefusesMultiValuedUsername(t *testing.T) {
	srv := slapdtest.StartT(t)
	carol := sampleUser(t, "CAROL")
	if err := srv.ApplyLDIF("dn: " + carol.DN + "\nchangetype: modify\nadd: uid\nuid: carol-second\n"); err != nil {
		t.Fatal(err)
	}
	for _, st := range strategies {
		t.Run(st.name, func(t *testing.T) {
			d := newDirectory(t, st.options(t, srv))
			if id, err := authenticate(d, "carol", carol.Password); KindOf(err) != KindMisconfigured {
				t.Fatalf("carol with two uids: identity %v, error %v; want misconfiguration", id, err)
			}
			mustAuthenticate(t, d, "bob", "bob-pass-1")
		})
	}
}

// When users log in with one attribute (uid) but are named by another
// (mail), a second entry holding the same mail would share the name: both
// are refused, unique ones pass.
func TestUsernameMustBeUnique(t *testing.T) {
	srv := slapdtest.StartT(t)
	alice := sampleUser(t, "ALICE")
	if _, err := srv.AddUser(slapdtest.NewUser{UID: "mallory", Password: "mallory-pass-1", Mail: alice.Mail}); err != nil {
		t.Fatal(err)
	}
	for name, o := range map[string]Options{
		"search":         searchOptions(t, srv),
		"direct+service": withServiceAccount(directOptions(t, srv)),
	} {
		t.Run(name, func(t *testing.T) {
			o.UsernameAttribute = "mail"
			d := newDirectory(t, o)
			for _, c := range [][2]string{{"alice", alice.Password}, {"mallory", "mallory-pass-1"}} {
				if id, err := authenticate(d, c[0], c[1]); KindOf(err) != KindMisconfigured {
					t.Errorf("%s shares a mail address: identity %v, error %v; want misconfiguration", c[0], id, err)
				}
			}
			if id := mustAuthenticate(t, d, "bob", "bob-pass-1"); id.Username != "bob@example.org" {
				t.Fatalf("bob's username = %q", id.Username)
			}
		})
	}
	// Without a service account the check runs as the user, who may not
	// search ou=people under the sample ACLs: uniqueness cannot be proved,
	// so nobody is identified (never "unique because nothing else was
	// visible").
	t.Run("direct as the user", func(t *testing.T) {
		o := directOptions(t, srv)
		o.UsernameAttribute = "mail"
		d := newDirectory(t, o)
		for _, c := range [][2]string{{"alice", alice.Password}, {"bob", "bob-pass-1"}} {
			if id, err := authenticate(d, c[0], c[1]); KindOf(err) != KindMisconfigured {
				t.Errorf("%s: identity %v, error %v; want misconfiguration", c[0], id, err)
			}
		}
	})
}

// The uniqueness search costs one search, and only when the login
// attribute differs from username_attribute.
func TestUniquenessSearchOnlyWhenNeeded(t *testing.T) {
	srv := sharedLDAP(t)
	tests := []struct {
		name         string
		options      func(testing.TB, *slapdtest.Server) Options
		usernameAttr string
		wantSearches int
	}{
		{"search, uid", searchOptions, "uid", 1},
		{"search, UID (case-insensitive)", searchOptions, "UID", 1},
		{"search, mail", searchOptions, "mail", 2},
		{"direct, uid", directOptions, "uid", 1},
		{"direct+service, uid", func(t testing.TB, s *slapdtest.Server) Options { return withServiceAccount(directOptions(t, s)) }, "uid", 1},
		{"direct+service, mail", func(t testing.TB, s *slapdtest.Server) Options { return withServiceAccount(directOptions(t, s)) }, "mail", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.options(t, srv)
			o.UsernameAttribute = tt.usernameAttr
			d := newDirectory(t, o)
			mustAuthenticate(t, d, "alice", "alice-pass-1")
			before := counters(t, srv)
			mustAuthenticate(t, d, "alice", "alice-pass-1")
			if got := counters(t, srv).Sub(before).Searches; got != tt.wantSearches {
				t.Fatalf("%d searches per authentication, want %d", got, tt.wantSearches)
			}
		})
	}
}
