package ldapauth

import (
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

func TestSanitizeHeaderValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice", "alice"},
		{"alice\r\nX-Injected: 1", "aliceX-Injected: 1"},
		{"a\x00b\x7fc\u0085d", "abcd"},
		{"  padded  ", "padded"},
		{"jürgen", "jürgen"},
	}
	for _, tt := range tests {
		if got := sanitizeHeaderValue(tt.in); got != tt.want {
			t.Errorf("sanitizeHeaderValue(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	long := strings.Repeat("é", maxHeaderValue) // 2 bytes each
	got := sanitizeHeaderValue(long)
	if len(got) > maxHeaderValue || !strings.HasPrefix(long, got) {
		t.Fatalf("long value not cut on a rune boundary within the bound: %d bytes", len(got))
	}
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
	cfg, err := ParseConfig(minimal(map[string]interface{}{
		"policies":            []interface{}{"base"},
		"group_policies":      map[string]interface{}{"developers": []interface{}{"devs"}},
		"required_groups":     "developers",
		"groups_header":       "X-Authenticated-Groups",
		"attribute_headers":   map[string]interface{}{"mail": "X-Authenticated-Email"},
		"metadata_attributes": []interface{}{"mail"},
		"session_key_secret":  "a-long-enough-session-secret",
	}))
	if err != nil {
		t.Fatal(err)
	}
	g := NewGate(APIInfo{ID: "api-1"}, cfg, nil)
	defer g.Close()
	id := identityWithGroups("alice", devs)
	id.Attributes = map[string][]string{"mail": {"alice@example.org\r\n"}}
	gr := g.newGrant(id)
	if !gr.Allowed || gr.KeyID != g.keys.keyID("alice") {
		t.Fatalf("allowed=%v keyID=%q", gr.Allowed, gr.KeyID)
	}
	if strings.Join(gr.Policies, ",") != "base,devs" {
		t.Fatalf("policies = %v", gr.Policies)
	}
	wantMeta := map[string]string{"ldap_dn": id.DN, "ldap_username": "alice", "ldap_groups": "developers", "ldap_mail": "alice@example.org"}
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
	want := map[string]string{"X-Authenticated-User": "alice", "X-Authenticated-Groups": "developers", "X-Authenticated-Email": "alice@example.org"}
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
	g := NewGate(APIInfo{ID: "api-1"}, cfg, nil)
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
