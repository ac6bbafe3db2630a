package ldapauth

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
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
		var raw map[string]any
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
		o := cfg.Directory
		if len(o.Servers) == 0 || o.PoolSize < 1 || o.RequestTimeout <= 0 || o.DialTimeout <= 0 {
			t.Fatalf("accepted an unusable configuration: %+v", cfg)
		}
		if cfg.SearchMode() && o.SearchBaseDN == "" {
			t.Fatal("search mode without a base DN")
		}
		if cfg.StaleIfError > 0 && cfg.CacheTTL == 0 {
			t.Fatal("stale_if_error without a cache")
		}
		if o.Groups.Source != "" && !o.Groups.Filter.Uses("dn") && !o.Groups.Filter.Uses("username") {
			t.Fatal("a group filter without {dn} or {username} was accepted")
		}
		// The gate must build from anything ParseConfig accepts.
		g, err := NewGate(APIInfo{ID: "fuzz"}, cfg, GateOptions{})
		if err != nil {
			t.Fatalf("an accepted configuration cannot build a gate: %v", err)
		}
		g.Close()
	})
}
