package ldapauth

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSessionKeyID(t *testing.T) {
	k := sessionKeys{secret: []byte("0123456789abcdef0123"), apiID: "api-1"}
	a := k.keyID("alice")
	if a != k.keyID("alice") {
		t.Fatal("key ID is not stable")
	}
	if !strings.HasPrefix(a, "ldap-") || len(a) != len("ldap-")+40 {
		t.Fatalf("unexpected key ID format %q", a)
	}
	if strings.Contains(a, "alice") {
		t.Fatalf("key ID reveals the username: %q", a)
	}
	others := []string{
		k.keyID("bob"),
		sessionKeys{secret: []byte("0123456789abcdef0123"), apiID: "api-2"}.keyID("alice"),
		sessionKeys{secret: []byte("another-secret-value"), apiID: "api-1"}.keyID("alice"),
	}
	for i, o := range others {
		if o == a {
			t.Fatalf("case %d: key ID collides with alice's", i)
		}
	}
}

func TestSanitizeText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice", "alice"},
		{"alice\r\nX-Injected: 1", "aliceX-Injected: 1"},
		{"a\x00b\x7fc\u0085d", "abcd"},
		{"  padded  ", "padded"},
		{"jürgen", "jürgen"},
	}
	for _, tt := range tests {
		if got := sanitizeText(tt.in); got != tt.want {
			t.Errorf("sanitizeText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A list header is unambiguous: values holding commas survive a split on
// "," and percent-decoding, and the bound drops whole values, never cuts
// one.
func TestEncodeList(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		limit  int
		want   string
	}{
		{"plain", []string{"admins", "developers"}, 100, "admins,developers"},
		{"comma in a name", []string{"Smith, John", "ops"}, 100, "Smith%2C John,ops"},
		{"percent in a name", []string{"100%", "a%2Cb"}, 100, "100%25,a%252Cb"},
		{"control characters", []string{"ad\r\nmins"}, 100, "admins"},
		{"bound drops whole values", []string{"aaaa", "bbbbbbbbbb", "cc"}, 8, "aaaa,cc"},
		{"nothing fits", []string{"aaaaaaaaaa"}, 4, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := encodeList(tt.values, tt.limit)
			if got != tt.want {
				t.Fatalf("encodeList = %q, want %q", got, tt.want)
			}
			if len(got) > tt.limit {
				t.Fatalf("%d bytes, bound %d", len(got), tt.limit)
			}
			for _, item := range strings.Split(got, ",") {
				if item == "" {
					continue
				}
				decoded, err := url.PathUnescape(item)
				if err != nil || !slices.Contains(sanitizedAll(tt.values), decoded) {
					t.Fatalf("item %q decodes to %q (%v), which is not one of the values", item, decoded, err)
				}
			}
		})
	}
}

func sanitizedAll(values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = sanitizeText(v)
	}
	return out
}

func TestShouldPersist(t *testing.T) {
	g := &persistState{}
	now := time.Unix(1_700_000_000, 0)
	if !g.shouldPersist(now, time.Hour) {
		t.Fatal("first use not persisted")
	}
	if g.shouldPersist(now.Add(time.Minute), time.Hour) {
		t.Fatal("persisted again a minute later")
	}
	if !g.shouldPersist(now.Add(31*time.Minute), time.Hour) {
		t.Fatal("not refreshed after half the lifetime")
	}
}

func TestNewGrantBuildsSessionPieces(t *testing.T) {
	cfg, err := ParseConfig(minimal(map[string]any{
		"policies":            []any{"base"},
		"group_base_dn":       "ou=groups,dc=example,dc=org",
		"group_policies":      map[string]any{"developers": []any{"devs"}},
		"required_groups":     "developers",
		"groups_header":       "X-Authenticated-Groups",
		"attribute_headers":   map[string]any{"mail": "X-Authenticated-Email"},
		"metadata_attributes": []any{"mail"},
		"session_key_secret":  "a-long-enough-session-secret",
	}))
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGate(APIInfo{ID: "api-1"}, cfg, GateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	id := identityWithGroups("alice", devs, Group{Name: "Smith, John", DN: `cn=Smith\, John,ou=groups,dc=example,dc=org`})
	id.DN += "\r\n"
	id.Attributes = map[string][]string{"mail": {"alice@example.org\r\n", "a.archer@example.org"}}
	gr := g.newGrant(id)
	if !gr.Allowed || gr.KeyID != g.keys.keyID(id.ID) {
		t.Fatalf("allowed=%v keyID=%q", gr.Allowed, gr.KeyID)
	}
	if strings.Join(gr.Policies, ",") != "base,devs" {
		t.Fatalf("policies = %v", gr.Policies)
	}
	wantMeta := map[string]string{"ldap_dn": "uid=alice,ou=people,dc=example,dc=org", "ldap_username": "alice",
		"ldap_groups": "developers,Smith%2C John", "ldap_mail": "alice@example.org,a.archer@example.org"}
	for k, v := range wantMeta {
		if gr.MetaData[k] != v {
			t.Errorf("MetaData[%s] = %v, want %q", k, gr.MetaData[k], v)
		}
	}
	headers := map[string]string{}
	for _, h := range gr.headers {
		headers[h.name] = h.value[0]
		if cap(h.value) != 1 {
			t.Errorf("header %s value has capacity %d; shared slices must have capacity 1", h.name, cap(h.value))
		}
	}
	want := map[string]string{"X-Authenticated-User": "alice", "X-Authenticated-Groups": "developers,Smith%2C John",
		"X-Authenticated-Email": "alice@example.org,a.archer@example.org"}
	for k, v := range want {
		if headers[k] != v {
			t.Errorf("header %s = %q, want %q", k, headers[k], v)
		}
	}
	copyA := gr.CopyMetaData()
	copyA["policies"] = "tampered"
	if _, ok := gr.MetaData["policies"]; ok {
		t.Fatal("CopyMetaData returned the shared map")
	}
}

func TestSameUserSameContentSharesPersistState(t *testing.T) {
	cfg, err := ParseConfig(minimal(nil))
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGate(APIInfo{ID: "api-1"}, cfg, GateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	a := g.newGrant(identityWithGroups("alice"))
	b := g.newGrant(identityWithGroups("alice"))
	if a.persisted != b.persisted {
		t.Fatal("two grants of one user with the same content do not share the write record")
	}
	changed := identityWithGroups("alice")
	changed.DN = "uid=alice,ou=moved,dc=example,dc=org"
	if c := g.newGrant(changed); c.persisted == a.persisted {
		t.Fatal("changed session content shares the old write record (would not be written)")
	}
}

// Two entries whose username attribute holds the same value still get two
// sessions: the KeyID comes from the entry's unique ID.
func TestSameUsernameDifferentEntriesDifferentKeyIDs(t *testing.T) {
	g, err := NewGate(APIInfo{ID: "api-1"}, mustConfig(t, minimal(nil)), GateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	a := &Identity{Username: "shared@example.org", DN: "uid=alice,ou=people,dc=example,dc=org", ID: "entryUUID:1"}
	b := &Identity{Username: "shared@example.org", DN: "uid=mallory,ou=people,dc=example,dc=org", ID: "entryUUID:2"}
	if g.newGrant(a).KeyID == g.newGrant(b).KeyID {
		t.Fatal("two entries with the same username share a session KeyID")
	}
}

// Groups reach the upstream (groups_header) and the session (ldap_groups)
// by the rule required_groups follows: a bare name only for groups under
// group_base_dn; without a base every group goes by its DN, so a
// same-named group elsewhere in the directory cannot pass as the real one.
func TestGroupLabelsObeyGroupBase(t *testing.T) {
	impostor := Group{Name: "admins", DN: "cn=admins,ou=contractors,dc=example,dc=org"}
	for _, tt := range []struct {
		name string
		base any
		want string
	}{
		{"no base: DNs", nil, "cn=admins%2Cou=contractors%2Cdc=example%2Cdc=org"},
		{"with base: names", "ou=contractors,dc=example,dc=org", "admins"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustConfig(t, minimal(map[string]any{"groups_header": "X-Groups", "group_source": "memberof", "group_base_dn": tt.base}))
			g, err := NewGate(APIInfo{ID: "api-1"}, cfg, GateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			gr := g.newGrant(identityWithGroups("carol", impostor))
			if gr.MetaData["ldap_groups"] != tt.want {
				t.Errorf("ldap_groups = %q, want %q", gr.MetaData["ldap_groups"], tt.want)
			}
			for _, h := range gr.headers {
				if h.name == "X-Groups" && h.value[0] != tt.want {
					t.Errorf("groups header = %q, want %q", h.value[0], tt.want)
				}
			}
		})
	}
}
