package ldapauth

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ldap "github.com/go-ldap/ldap/v3"
)

// minimal returns a valid search-then-bind configuration plus overrides.
func minimal(overrides map[string]interface{}) map[string]interface{} {
	raw := map[string]interface{}{
		"urls":           []interface{}{"ldaps://ldap.example.org"},
		"search_base_dn": "ou=people,dc=example,dc=org",
	}
	for k, v := range overrides {
		if v == nil {
			delete(raw, k)
			continue
		}
		raw[k] = v
	}
	return raw
}

func TestParseConfigDefaults(t *testing.T) {
	cfg, err := ParseConfig(minimal(nil))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want interface{}
	}{
		{"servers", fmt.Sprint(cfg.Servers), fmt.Sprint([]Server{{URL: "ldaps://ldap.example.org", Scheme: "ldaps", Host: "ldap.example.org", Addr: "ldap.example.org:636"}})},
		{"search mode", cfg.SearchMode(), true},
		{"search filter", cfg.SearchFilter, DefaultSearchFilter},
		{"search scope", cfg.SearchScope, ldap.ScopeWholeSubtree},
		{"username attribute", cfg.UsernameAttribute, "uid"},
		{"dial timeout", cfg.DialTimeout, 3 * time.Second},
		{"request timeout", cfg.RequestTimeout, 5 * time.Second},
		{"pool size", cfg.PoolSize, 8},
		{"pool idle", cfg.PoolIdleTimeout, 4 * time.Minute},
		{"realm", cfg.Realm, "Restricted"},
		{"hide credentials", cfg.HideCredentials, true},
		{"user header", cfg.UserHeader, "X-Authenticated-User"},
		{"cache ttl", cfg.CacheTTL, 5 * time.Minute},
		{"negative ttl", cfg.NegativeCacheTTL, time.Duration(0)},
		{"max entries", cfg.CacheMaxEntries, 10000},
		{"stale", cfg.StaleIfError, time.Duration(0)},
		{"session lifetime", cfg.SessionLifetime, time.Hour},
		{"groups off", cfg.NeedsGroups(), false},
		{"max failures", cfg.MaxFailures, 0},
		{"tls min", cfg.tls.minVersion, uint16(0x0303)},
		{"tls verify", cfg.tls.insecureSkipVerify, false},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestParseConfigErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name      string
		raw       map[string]interface{}
		wantKey   string
		wantWords string
	}{
		{"missing urls", minimal(map[string]interface{}{"urls": nil}), "urls", "required"},
		{"bad scheme", minimal(map[string]interface{}{"urls": "http://x"}), "urls", "ldap:// or ldaps://"},
		{"url with path", minimal(map[string]interface{}{"urls": "ldaps://x/dc=example"}), "urls", "nothing after the port"},
		{"plaintext to remote host", minimal(map[string]interface{}{"urls": "ldap://ldap.example.org"}), "urls", "clear text"},
		{"ldaps with start_tls", minimal(map[string]interface{}{"start_tls": true}), "start_tls", "already encrypted"},
		{"urls not a list", minimal(map[string]interface{}{"urls": 5.0}), "urls", "list of strings"},
		{"unknown key", minimal(map[string]interface{}{"requierd_groups": []interface{}{"x"}}), "requierd_groups", "did you mean \"required_groups\""},
		{"unknown key far from any", minimal(map[string]interface{}{"zzz": true}), "zzz", "unknown key"},
		{"no mode", minimal(map[string]interface{}{"search_base_dn": nil}), "search_base_dn", "user_dn_template"},
		{"template without placeholder", minimal(map[string]interface{}{"user_dn_template": "uid=x,dc=org"}), "user_dn_template", "{username}"},
		{"template unknown placeholder", minimal(map[string]interface{}{"user_dn_template": "uid={user},dc=org"}), "user_dn_template", "unknown placeholder {user}"},
		{"UPN template needs base", minimal(map[string]interface{}{"search_base_dn": nil, "user_dn_template": "{username}@corp.example.com"}), "search_base_dn", "not a DN"},
		{"filter without placeholder", minimal(map[string]interface{}{"search_filter": "(uid=x)"}), "search_filter", "{username}"},
		{"filter invalid", minimal(map[string]interface{}{"search_filter": "(uid={username}"}), "search_filter", "not a valid LDAP filter"},
		{"filter unclosed brace", minimal(map[string]interface{}{"search_filter": "(uid={username)"}), "search_filter", "unclosed"},
		{"bad scope", minimal(map[string]interface{}{"search_scope": "base"}), "search_scope", "\"sub\" or \"one\""},
		{"bad base DN", minimal(map[string]interface{}{"search_base_dn": "not a dn"}), "search_base_dn", "not a valid DN"},
		{"bind dn without password", minimal(map[string]interface{}{"bind_dn": "cn=svc,dc=example,dc=org"}), "bind_password", "required"},
		{"password without bind dn", minimal(map[string]interface{}{"bind_password": "x"}), "bind_dn", "required"},
		{"unset env password", minimal(map[string]interface{}{"bind_dn": "cn=svc,dc=org", "bind_password": "env://TYK_LDAP_TEST_UNSET_VARIABLE"}), "bind_password", "TYK_LDAP_TEST_UNSET_VARIABLE is not set"},
		{"unresolved env elsewhere", minimal(map[string]interface{}{"urls": "env://LDAP_URL"}), "urls", "did not substitute"},
		{"unresolved secrets elsewhere", minimal(map[string]interface{}{"realm": "secrets://realm"}), "realm", "did not substitute"},
		{"relative file secret", minimal(map[string]interface{}{"bind_dn": "cn=svc,dc=org", "bind_password": "file://secret.txt"}), "bind_password", "absolute path"},
		{"missing file secret", minimal(map[string]interface{}{"bind_dn": "cn=svc,dc=org", "bind_password": "file:///nonexistent/secret"}), "bind_password", "cannot read"},
		{"bool as string", minimal(map[string]interface{}{"hide_credentials": "false"}), "hide_credentials", "true or false"},
		{"fractional pool", minimal(map[string]interface{}{"pool_size": 2.5}), "pool_size", "whole number"},
		{"zero pool", minimal(map[string]interface{}{"pool_size": 0.0}), "pool_size", "from 1 to 1024"},
		{"duration as number", minimal(map[string]interface{}{"dial_timeout": 3.0}), "dial_timeout", "duration string"},
		{"duration garbage", minimal(map[string]interface{}{"cache_ttl": "five minutes"}), "cache_ttl", "duration string"},
		{"negative duration", minimal(map[string]interface{}{"cache_ttl": "-1s"}), "cache_ttl", "between"},
		{"zero request timeout", minimal(map[string]interface{}{"request_timeout": "0"}), "request_timeout", "between"},
		{"stale without cache", minimal(map[string]interface{}{"cache_ttl": "0", "stale_if_error": "1m"}), "stale_if_error", "cache_ttl"},
		{"bad tls version", minimal(map[string]interface{}{"tls_min_version": "1.4"}), "tls_min_version", "one of"},
		{"bad CA pem", minimal(map[string]interface{}{"tls_ca_pem": "not a cert"}), "tls_ca_pem", "no PEM certificate"},
		{"missing CA file", minimal(map[string]interface{}{"tls_ca_file": "/nonexistent/ca.pem"}), "tls_ca_file", "cannot read"},
		{"realm with quote", minimal(map[string]interface{}{"realm": `a"b`}), "realm", "without quotes"},
		{"short session secret", minimal(map[string]interface{}{"session_key_secret": "short"}), "session_key_secret", "16 characters"},
		{"bad header name", minimal(map[string]interface{}{"user_header": "X User"}), "user_header", "not a valid HTTP header"},
		{"reserved header", minimal(map[string]interface{}{"groups_header": "authorization"}), "groups_header", "cannot carry identity"},
		{"bad attribute", minimal(map[string]interface{}{"attributes": []interface{}{"mail", "dis play"}}), "attributes", "not an LDAP attribute"},
		{"empty list entry", minimal(map[string]interface{}{"policies": []interface{}{"a", ""}}), "policies", "entry 1 is empty"},
		{"bad group source", minimal(map[string]interface{}{"group_source": "ldap"}), "group_source", "\"search\" or \"memberof\""},
		{"search source needs base", minimal(map[string]interface{}{"group_source": "search"}), "group_base_dn", "required"},
		{"bad group filter", minimal(map[string]interface{}{"group_filter": "(member={uid})"}), "group_filter", "unknown placeholder"},
		{"group policies not lists", minimal(map[string]interface{}{"group_policies": map[string]interface{}{"admins": 3.0}}), "group_policies", "list of strings"},
		{"attribute headers not strings", minimal(map[string]interface{}{"attribute_headers": map[string]interface{}{"mail": true}}), "attribute_headers", "non-empty string"},
		{"required group bad DN", minimal(map[string]interface{}{"required_groups": "cn=admins,,dc=org"}), "required_groups", "not a valid DN"},
		{"negative max failures", minimal(map[string]interface{}{"max_failures": -1.0}), "max_failures", "from 0 to 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig(tt.raw)
			if err == nil {
				t.Fatal("expected an error")
			}
			var found bool
			for _, e := range unjoin(err) {
				var ce *ConfigError
				if errors.As(e, &ce) && ce.Key == tt.wantKey && strings.Contains(ce.Error(), tt.wantWords) {
					found = true
				}
			}
			if !found {
				t.Fatalf("no error for key %q containing %q in:\n%v", tt.wantKey, tt.wantWords, err)
			}
		})
	}
}

func TestParseConfigReportsEveryProblemAtOnce(t *testing.T) {
	_, err := ParseConfig(map[string]interface{}{"urls": "http://x", "pool_size": "many", "typo_key": 1.0})
	if err == nil {
		t.Fatal("expected errors")
	}
	keys := map[string]bool{}
	for _, e := range unjoin(err) {
		var ce *ConfigError
		if errors.As(e, &ce) {
			keys[ce.Key] = true
		}
	}
	for _, k := range []string{"urls", "pool_size", "typo_key", "search_base_dn"} {
		if !keys[k] {
			t.Errorf("no error reported for %q (got %v)", k, keys)
		}
	}
}

func TestConfigErrorsNeverQuoteSecrets(t *testing.T) {
	const secret = "s3cr3t-bind-password-value"
	_, err := ParseConfig(minimal(map[string]interface{}{
		"bind_password": secret,                // without bind_dn: an error about this key
		"realm":         []interface{}{secret}, // wrong type
		"tls_ca_pem":    secret,                // not a PEM
		"bind_dn":       nil,
	}))
	if err == nil {
		t.Fatal("expected errors")
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("configuration error quotes a secret: %v", err)
	}
}

func TestPlaintextRules(t *testing.T) {
	tests := []struct {
		name    string
		raw     map[string]interface{}
		wantErr bool
	}{
		{"ldaps remote", minimal(nil), false},
		{"ldap loopback v4", minimal(map[string]interface{}{"urls": "ldap://127.0.0.1:3389"}), false},
		{"ldap loopback v6", minimal(map[string]interface{}{"urls": "ldap://[::1]:3389"}), false},
		{"ldap localhost", minimal(map[string]interface{}{"urls": "ldap://localhost"}), false},
		{"ldap remote", minimal(map[string]interface{}{"urls": "ldap://ldap.example.org"}), true},
		{"ldap remote with start_tls", minimal(map[string]interface{}{"urls": "ldap://ldap.example.org", "start_tls": true}), false},
		{"ldap remote allowed", minimal(map[string]interface{}{"urls": "ldap://ldap.example.org", "allow_plaintext": true}), false},
		{"second url remote", minimal(map[string]interface{}{"urls": []interface{}{"ldaps://a", "ldap://b"}}), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig(tt.raw)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestSecretsResolve(t *testing.T) {
	t.Setenv("TYK_LDAP_TEST_BIND_PASSWORD", "from-env")
	file := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		value, want string
	}{
		{"plain-value", "plain-value"},
		{"env://TYK_LDAP_TEST_BIND_PASSWORD", "from-env"},
		{"file://" + file, "from-file"},
	}
	for _, tt := range tests {
		cfg, err := ParseConfig(minimal(map[string]interface{}{"bind_dn": "cn=svc,dc=example,dc=org", "bind_password": tt.value}))
		if err != nil {
			t.Fatalf("%s: %v", tt.value, err)
		}
		if cfg.BindPassword.Reveal() != tt.want {
			t.Fatalf("%s: resolved to %q, want %q", tt.value, cfg.BindPassword.Reveal(), tt.want)
		}
		if s := fmt.Sprintf("%v %+v %#v", cfg.BindPassword, cfg, cfg); strings.Contains(s, tt.want) {
			t.Fatalf("printing the config reveals the password: %s", s)
		}
	}
}

func TestFingerprint(t *testing.T) {
	a, _ := ParseConfig(minimal(map[string]interface{}{"pool_size": 4.0}))
	b, _ := ParseConfig(minimal(map[string]interface{}{"pool_size": 4.0}))
	c, _ := ParseConfig(minimal(map[string]interface{}{"pool_size": 5.0}))
	if a.Fingerprint != b.Fingerprint {
		t.Error("equal configurations have different fingerprints")
	}
	if a.Fingerprint == c.Fingerprint {
		t.Error("different configurations share a fingerprint")
	}
	// A rotated secret behind the same file:// reference is a new config.
	file := filepath.Join(t.TempDir(), "pw")
	raw := minimal(map[string]interface{}{"bind_dn": "cn=svc,dc=example,dc=org", "bind_password": "file://" + file})
	os.WriteFile(file, []byte("one"), 0o600)
	d, err := ParseConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(file, []byte("two"), 0o600)
	e, _ := ParseConfig(raw)
	if d.Fingerprint == e.Fingerprint {
		t.Error("rotating a file:// secret does not change the fingerprint")
	}
}

func TestDirectBindTemplates(t *testing.T) {
	tests := []struct {
		template string
		isDN     bool
	}{
		{"uid={username},ou=people,dc=example,dc=org", true},
		{"cn={username},ou=users,dc=corp,dc=example,dc=com", true},
		{"{username}@corp.example.com", false},
		{`CORP\{username}`, false},
	}
	for _, tt := range tests {
		cfg, err := ParseConfig(minimal(map[string]interface{}{"user_dn_template": tt.template}))
		if err != nil {
			t.Fatalf("%s: %v", tt.template, err)
		}
		if cfg.SearchMode() || cfg.userDNIsDN != tt.isDN {
			t.Errorf("%s: search mode %v, DN %v; want direct bind, DN %v", tt.template, cfg.SearchMode(), cfg.userDNIsDN, tt.isDN)
		}
	}
}

func TestGroupSourceChoice(t *testing.T) {
	tests := []struct {
		name string
		raw  map[string]interface{}
		want string
	}{
		{"nothing needs groups", minimal(nil), ""},
		{"required groups with base: search", minimal(map[string]interface{}{"required_groups": "admins", "group_base_dn": "ou=groups,dc=example,dc=org"}), GroupSourceSearch},
		{"required groups without base: memberOf", minimal(map[string]interface{}{"required_groups": "admins"}), GroupSourceMemberOf},
		{"groups header alone", minimal(map[string]interface{}{"groups_header": "X-Groups"}), GroupSourceMemberOf},
		{"explicit memberof", minimal(map[string]interface{}{"group_source": "memberof", "group_base_dn": "ou=groups,dc=example,dc=org"}), GroupSourceMemberOf},
	}
	for _, tt := range tests {
		cfg, err := ParseConfig(tt.raw)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if cfg.GroupSource != tt.want {
			t.Errorf("%s: group source %q, want %q", tt.name, cfg.GroupSource, tt.want)
		}
	}
}
