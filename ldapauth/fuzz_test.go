package ldapauth

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	ldap "github.com/go-ldap/ldap/v3"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/; go test runs them as
// regular tests, ./build.sh test also fuzzes each target briefly.

// FuzzParseBasic: any header either fails cleanly or yields a non-empty,
// bounded, control-free, UTF-8 username without a colon and a password that
// round-trip to the decoded header.
func FuzzParseBasic(f *testing.F) {
	for _, s := range []string{basic("alice:secret"), "Basic", "basic Og==", basic("a:b:c"), "Basic " + strings.Repeat("QUFB", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		var buf CredentialsBuffer
		user, pass, err := ParseBasic(header, &buf)
		if err != nil {
			if user != nil || pass != nil {
				t.Fatal("credentials returned with an error")
			}
			return
		}
		if len(user) == 0 || len(pass) == 0 || len(user) > MaxUsernameLen || len(pass) > MaxPasswordLen {
			t.Fatalf("bounds violated: %d/%d", len(user), len(pass))
		}
		if strings.ContainsRune(string(user), ':') {
			t.Fatal("username contains a colon")
		}
		for _, b := range [][]byte{user, pass} {
			if !utf8.Valid(b) {
				t.Fatal("invalid UTF-8 accepted")
			}
			for _, r := range string(b) {
				if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
					t.Fatalf("control character %U accepted", r)
				}
			}
		}
		fields := strings.Fields(header)
		decoded, derr := base64.StdEncoding.DecodeString(fields[len(fields)-1])
		if derr != nil || string(decoded) != string(user)+":"+string(pass) {
			t.Fatalf("parse does not round-trip: %q", header)
		}
	})
}

// FuzzParseConfig: any JSON object is either refused with ConfigErrors
// naming keys, or accepted as a configuration satisfying the invariants the
// rest of the plugin relies on. It never panics.
func FuzzParseConfig(f *testing.F) {
	seeds := []string{
		`{"urls":"ldaps://ldap.example.org","search_base_dn":"dc=example,dc=org"}`,
		`{"urls":["ldap://127.0.0.1:389"],"user_dn_template":"uid={username},dc=example,dc=org","cache_ttl":"0"}`,
		`{"urls":"ldap://x","start_tls":true,"search_base_dn":"dc=x","group_policies":{"a":["p"]},"required_groups":["cn=a,dc=x"]}`,
		`{"urls":5,"pool_size":"x","unknown":null}`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		var raw map[string]interface{}
		if json.Unmarshal([]byte(doc), &raw) != nil {
			return
		}
		cfg, err := ParseConfig(raw)
		if err != nil {
			for _, e := range unjoin(err) {
				if _, ok := e.(*ConfigError); !ok {
					t.Fatalf("error %T does not name a key: %v", e, e)
				}
			}
			return
		}
		if len(cfg.Servers) == 0 || cfg.PoolSize < 1 || cfg.RequestTimeout <= 0 || cfg.DialTimeout <= 0 {
			t.Fatalf("accepted an unusable configuration: %+v", cfg)
		}
		if cfg.SearchMode() && cfg.SearchBaseDN == "" {
			t.Fatal("search mode without a base DN")
		}
		if cfg.StaleIfError > 0 && cfg.CacheTTL == 0 {
			t.Fatal("stale_if_error without a cache")
		}
	})
}

// FuzzFilterEscaping: whatever the username, the expanded search filter
// compiles, and the server sees exactly one equality assertion whose value
// is the username (no wildcard, no extra clause).
func FuzzFilterEscaping(f *testing.F) {
	for _, s := range []string{"alice", "*", ")(uid=*", "a\x00b", "\\2a", "é(ü)*"} {
		f.Add(s)
	}
	tmpl, err := compileTemplate("(uid={username})", "username")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, username string) {
		filter := tmpl.expand(ldap.EscapeFilter, map[string]string{"username": username})
		packet, err := ldap.CompileFilter(filter)
		if err != nil {
			t.Fatalf("escaped filter %q does not compile: %v", filter, err)
		}
		if packet.Tag != ldap.FilterEqualityMatch || len(packet.Children) != 2 {
			t.Fatalf("filter %q is not a single equality match", filter)
		}
		if got := packet.Children[1].Data.String(); got != username {
			t.Fatalf("assertion value %q, want %q", got, username)
		}
	})
}

// FuzzDNEscaping: whatever the username, the bind DN parses and its first
// RDN holds exactly the username; the rest of the DN is the template's.
func FuzzDNEscaping(f *testing.F) {
	for _, s := range []string{"alice", ",ou=admins", " alice", "#x", `a"b+c;d<e>f\g`, "a\x00b", "uid=evil"} {
		f.Add(s)
	}
	tmpl, err := compileTemplate("uid={username},ou=people,dc=example,dc=org", "username")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, username string) {
		if username == "" || !utf8.ValidString(username) {
			return // refused by ParseBasic before any DN is built
		}
		dn := tmpl.expand(ldap.EscapeDN, map[string]string{"username": username})
		parsed, err := ldap.ParseDN(dn)
		if err != nil {
			t.Fatalf("escaped DN %q does not parse: %v", dn, err)
		}
		if len(parsed.RDNs) != 4 || len(parsed.RDNs[0].Attributes) != 1 {
			t.Fatalf("username %q changed the DN's shape: %q", username, dn)
		}
		rdn := parsed.RDNs[0].Attributes[0]
		if rdn.Type != "uid" || strings.TrimSpace(rdn.Value) != strings.TrimSpace(username) {
			t.Fatalf("first RDN %s=%q, want uid=%q", rdn.Type, rdn.Value, username)
		}
	})
}
