package ldapauth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
)

// minimal returns a valid search-then-bind configuration plus overrides.
func TestRevocationWatchDefaults(t *testing.T) {
	for _, tc := range []struct {
		name    string
		raw     map[string]any
		watches bool
	}{
		{"service account", minimal(map[string]any{"bind_dn": "cn=svc,dc=org", "bind_password": "x"}), true},
		{"no service account", minimal(nil), false},
		{"off", minimal(map[string]any{"bind_dn": "cn=svc,dc=org", "bind_password": "x", "revocation_watch": "off"}), false},
		{"poll", minimal(map[string]any{"bind_dn": "cn=svc,dc=org", "bind_password": "x", "revocation_watch": "poll"}), true},
		{"nothing cached", minimal(map[string]any{"bind_dn": "cn=svc,dc=org", "bind_password": "x", "cache_ttl": "0"}), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig(tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Watches() != tc.watches {
				t.Fatalf("Watches() = %v, want %v", cfg.Watches(), tc.watches)
			}
			if cfg.RevocationPollInterval != time.Second {
				t.Fatalf("revocation_poll_interval default %v, want 1s", cfg.RevocationPollInterval)
			}
		})
	}
}

func minimal(overrides map[string]any) map[string]any {
	raw := map[string]any{
		"urls":           []any{"ldaps://ldap.example.org"},
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
		got, want any
	}{
		{"servers", fmt.Sprint(cfg.Directory.Servers), fmt.Sprint([]directory.Server{{URL: "ldaps://ldap.example.org", Scheme: "ldaps", Host: "ldap.example.org", Addr: "ldap.example.org:636"}})},
		{"search mode", cfg.SearchMode(), true},
		{"search filter uses username", cfg.Directory.SearchFilter.Uses("username"), true},
		{"search scope", cfg.Directory.SearchScope, directory.ScopeSubtree},
		{"username attribute", cfg.Directory.UsernameAttribute, "uid"},
		{"dial timeout", cfg.Directory.DialTimeout, 3 * time.Second},
		{"request timeout", cfg.Directory.RequestTimeout, 5 * time.Second},
		{"pool size", cfg.Directory.PoolSize, 8},
		{"pool idle", cfg.Directory.PoolIdleTimeout, 4 * time.Minute},
		{"timing equalised", cfg.Directory.EqualizeTiming, true},
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
		{"tls min", cfg.Directory.TLS.MinVersion, uint16(0x0303)},
		{"tls verify", cfg.Directory.TLS.InsecureSkipVerify, false},
		{"system roots", cfg.Directory.TLS.RootCAs == nil, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestParseConfigDomain: domain replaces urls; a DNS server given as a
// bare address gets port 53.
func TestParseConfigDomain(t *testing.T) {
	cases := []struct {
		raw  map[string]any
		want directory.DiscoveryOptions
	}{
		{minimal(map[string]any{"urls": nil, "domain": "corp.example.org."}), directory.DiscoveryOptions{Domain: "corp.example.org"}},
		{minimal(map[string]any{"urls": nil, "domain": "corp.example.org", "ad_site": "Default-First-Site-Name", "dns_server": "10.0.0.10"}),
			directory.DiscoveryOptions{Domain: "corp.example.org", Site: "Default-First-Site-Name", DNSServer: "10.0.0.10:53"}},
		{minimal(map[string]any{"urls": nil, "domain": "corp.example.org", "ad_site": "auto"}),
			directory.DiscoveryOptions{Domain: "corp.example.org", Site: directory.AutoSite}},
		{minimal(map[string]any{"urls": nil, "domain": "corp.example.org", "dns_server": "[::1]:5353"}),
			directory.DiscoveryOptions{Domain: "corp.example.org", DNSServer: "[::1]:5353"}},
		{minimal(map[string]any{"urls": nil, "domain": "corp.example.org", "dns_server": "::1"}),
			directory.DiscoveryOptions{Domain: "corp.example.org", DNSServer: "[::1]:53"}},
	}
	for _, tc := range cases {
		cfg, err := ParseConfig(tc.raw)
		if err != nil {
			t.Fatalf("%v: %v", tc.raw, err)
		}
		if cfg.Directory.Discovery == nil || *cfg.Directory.Discovery != tc.want || len(cfg.Directory.Servers) != 0 {
			t.Errorf("%v: discovery %+v, servers %v; want %+v and no servers", tc.raw, cfg.Directory.Discovery, cfg.Directory.Servers, tc.want)
		}
	}
}

func TestParseConfigErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name      string
		raw       map[string]any
		wantKey   string
		wantWords string
	}{
		{"missing urls", minimal(map[string]any{"urls": nil}), "urls", "required"},
		{"urls and domain", minimal(map[string]any{"domain": "corp.example.org"}), "domain", "not both"},
		{"domain not a domain", minimal(map[string]any{"urls": nil, "domain": "ldaps://corp.example.org"}), "domain", "DNS domain"},
		{"domain of one label", minimal(map[string]any{"urls": nil, "domain": "corp"}), "domain", "DNS domain"},
		{"site with a dot", minimal(map[string]any{"urls": nil, "domain": "corp.example.org", "ad_site": "a.b"}), "ad_site", "site name"},
		{"site without domain", minimal(map[string]any{"ad_site": "Berlin"}), "ad_site", "only used with domain"},
		{"dns server without domain", minimal(map[string]any{"dns_server": "10.0.0.10:53"}), "dns_server", "only used with domain"},
		{"dns server not an address", minimal(map[string]any{"urls": nil, "domain": "corp.example.org", "dns_server": "dns.example.org"}), "dns_server", "host:port"},
		{"bad scheme", minimal(map[string]any{"urls": "http://x"}), "urls", "ldap:// or ldaps://"},
		{"url with path", minimal(map[string]any{"urls": "ldaps://x/dc=example"}), "urls", "nothing after the port"},
		{"plaintext to remote host", minimal(map[string]any{"urls": "ldap://ldap.example.org"}), "urls", "clear text"},
		{"ldaps with start_tls", minimal(map[string]any{"start_tls": true}), "start_tls", "already encrypted"},
		{"urls not a list", minimal(map[string]any{"urls": 5.0}), "urls", "list of strings"},
		{"unknown key", minimal(map[string]any{"requierd_groups": []any{"x"}}), "requierd_groups", "did you mean \"required_groups\""},
		{"unknown key far from any", minimal(map[string]any{"zzz": true}), "zzz", "unknown key"},
		{"no mode", minimal(map[string]any{"search_base_dn": nil}), "search_base_dn", "user_dn_template"},
		{"template without placeholder", minimal(map[string]any{"user_dn_template": "uid=x,dc=org"}), "user_dn_template", "{username}"},
		{"template of no known form", minimal(map[string]any{"user_dn_template": "user-{username}"}), "user_dn_template", "userPrincipalName"},
		{"UPN template with two @", minimal(map[string]any{"user_dn_template": "{username}@a@b"}), "user_dn_template", "userPrincipalName"},
		{"search filter with a template", minimal(map[string]any{"user_dn_template": "uid={username},ou=people,dc=example,dc=org", "search_filter": "(uid={username})"}), "search_filter", "only used by search then bind"},
		{"group filter without placeholder", minimal(map[string]any{"group_filter": "(objectClass=groupOfNames)"}), "group_filter", "must contain {dn} or {username}"},
		{"bare group name without base", minimal(map[string]any{"required_groups": "admins"}), "required_groups", "needs group_base_dn"},
		{"bare policy group without base", minimal(map[string]any{"group_policies": map[string]any{"admins": "p"}}), "group_policies", "needs group_base_dn"},
		{"group DN outside base", minimal(map[string]any{"group_base_dn": "ou=groups,dc=example,dc=org", "required_groups": "cn=admins,ou=partners,dc=example,dc=org"}), "required_groups", "not under group_base_dn"},
		{"bind dn with empty password", minimal(map[string]any{"bind_dn": "cn=svc,dc=example,dc=org", "bind_password": ""}), "bind_password", "required"},
		{"url with userinfo", minimal(map[string]any{"urls": "ldaps://admin:hunter2@ldap.example.org"}), "urls", "must not contain a user name or password"},
		{"template unknown placeholder", minimal(map[string]any{"user_dn_template": "uid={user},dc=org"}), "user_dn_template", "unknown placeholder {user}"},
		{"UPN template needs base", minimal(map[string]any{"search_base_dn": nil, "user_dn_template": "{username}@corp.example.com"}), "search_base_dn", "not a DN"},
		{"filter without placeholder", minimal(map[string]any{"search_filter": "(uid=x)"}), "search_filter", "{username}"},
		{"filter invalid", minimal(map[string]any{"search_filter": "(uid={username}"}), "search_filter", "not a valid LDAP filter"},
		{"filter unclosed brace", minimal(map[string]any{"search_filter": "(uid={username)"}), "search_filter", "unclosed"},
		{"bad scope", minimal(map[string]any{"search_scope": "base"}), "search_scope", "\"sub\" or \"one\""},
		{"bad base DN", minimal(map[string]any{"search_base_dn": "not a dn"}), "search_base_dn", "not a valid DN"},
		{"bind dn without password", minimal(map[string]any{"bind_dn": "cn=svc,dc=example,dc=org"}), "bind_password", "required"},
		{"password without bind dn", minimal(map[string]any{"bind_password": "x"}), "bind_dn", "required"},
		{"unset env password", minimal(map[string]any{"bind_dn": "cn=svc,dc=org", "bind_password": "env://TYK_LDAP_TEST_UNSET_VARIABLE"}), "bind_password", "TYK_LDAP_TEST_UNSET_VARIABLE is not set"},
		{"unresolved env elsewhere", minimal(map[string]any{"urls": "env://LDAP_URL"}), "urls", "did not substitute"},
		{"unresolved secrets elsewhere", minimal(map[string]any{"realm": "secrets://realm"}), "realm", "did not substitute"},
		{"relative file secret", minimal(map[string]any{"bind_dn": "cn=svc,dc=org", "bind_password": "file://secret.txt"}), "bind_password", "absolute path"},
		{"missing file secret", minimal(map[string]any{"bind_dn": "cn=svc,dc=org", "bind_password": "file:///nonexistent/secret"}), "bind_password", "cannot read"},
		{"bool as string", minimal(map[string]any{"hide_credentials": "false"}), "hide_credentials", "true or false"},
		{"fractional pool", minimal(map[string]any{"pool_size": 2.5}), "pool_size", "whole number"},
		{"zero pool", minimal(map[string]any{"pool_size": 0.0}), "pool_size", "from 1 to 1024"},
		{"duration as number", minimal(map[string]any{"dial_timeout": 3.0}), "dial_timeout", "duration string"},
		{"duration garbage", minimal(map[string]any{"cache_ttl": "five minutes"}), "cache_ttl", "duration string"},
		{"negative duration", minimal(map[string]any{"cache_ttl": "-1s"}), "cache_ttl", "between"},
		{"zero request timeout", minimal(map[string]any{"request_timeout": "0"}), "request_timeout", "between"},
		{"stale without cache", minimal(map[string]any{"cache_ttl": "0", "stale_if_error": "1m"}), "stale_if_error", "cache_ttl"},
		{"bad revocation watch", minimal(map[string]any{"revocation_watch": "on"}), "revocation_watch", `"auto", "poll" or "off"`},
		{"revocation watch as bool", minimal(map[string]any{"revocation_watch": false}), "revocation_watch", "string"},
		{"poll interval too short", minimal(map[string]any{"revocation_poll_interval": "10ms"}), "revocation_poll_interval", "between"},
		{"bad tls version", minimal(map[string]any{"tls_min_version": "1.4"}), "tls_min_version", "one of"},
		{"bad CA pem", minimal(map[string]any{"tls_ca_pem": "not a cert"}), "tls_ca_pem", "no PEM certificate"},
		{"missing CA file", minimal(map[string]any{"tls_ca_file": "/nonexistent/ca.pem"}), "tls_ca_file", "cannot read"},
		{"realm with quote", minimal(map[string]any{"realm": `a"b`}), "realm", "without quotes"},
		{"short session secret", minimal(map[string]any{"session_key_secret": "short"}), "session_key_secret", "16 characters"},
		{"bad header name", minimal(map[string]any{"user_header": "X User"}), "user_header", "not a valid HTTP header"},
		{"reserved header", minimal(map[string]any{"groups_header": "authorization"}), "groups_header", "cannot carry identity"},
		{"bad attribute", minimal(map[string]any{"attributes": []any{"mail", "dis play"}}), "attributes", "not an LDAP attribute"},
		{"empty list entry", minimal(map[string]any{"policies": []any{"a", ""}}), "policies", "entry 1 is empty"},
		{"bad group source", minimal(map[string]any{"group_source": "ldap"}), "group_source", "\"search\" or \"memberof\""},
		{"search source needs base", minimal(map[string]any{"group_source": "search"}), "group_base_dn", "required"},
		{"bad group filter", minimal(map[string]any{"group_filter": "(member={uid})"}), "group_filter", "unknown placeholder"},
		{"group policies not lists", minimal(map[string]any{"group_policies": map[string]any{"admins": 3.0}}), "group_policies", "list of strings"},
		{"attribute headers not strings", minimal(map[string]any{"attribute_headers": map[string]any{"mail": true}}), "attribute_headers", "non-empty string"},
		{"required group bad DN", minimal(map[string]any{"required_groups": "cn=admins,,dc=org"}), "required_groups", "not a valid DN"},
		{"mail identity without a service account", minimal(map[string]any{"username_attribute": "mail"}), "bind_dn", "service account"},
		{"mail identity in DN template without base", minimal(map[string]any{"search_base_dn": nil, "user_dn_template": "uid={username}", "username_attribute": "mail"}), "search_base_dn", "unique"},
		{"negative max failures", minimal(map[string]any{"max_failures": -1.0}), "max_failures", "from 0 to 1000"},
		{"trusted proxy CIDR out of range", minimal(map[string]any{"trusted_proxies": []any{"10.0.0.0/33"}}), "trusted_proxies", "entry 0"},
		{"trusted proxy by name", minimal(map[string]any{"trusted_proxies": []any{"10.0.0.1", "lb.example.org"}}), "trusted_proxies", "entry 1"},
		{"trusted proxy header", minimal(map[string]any{"trusted_proxy_header": "X Forwarded"}), "trusted_proxy_header", "not an HTTP header name"},
		{"IPv6 prefix too short", minimal(map[string]any{"client_ipv6_prefix": 8.0}), "client_ipv6_prefix", "from 16 to 128"},
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
	_, err := ParseConfig(map[string]any{"urls": "http://x", "pool_size": "many", "typo_key": 1.0})
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
	_, err := ParseConfig(minimal(map[string]any{
		"bind_password": secret,        // without bind_dn: an error about this key
		"realm":         []any{secret}, // wrong type
		"tls_ca_pem":    secret,        // not a PEM
		"bind_dn":       nil,
	}))
	if err == nil {
		t.Fatal("expected errors")
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("configuration error quotes a secret: %v", err)
	}
	_, err = ParseConfig(minimal(map[string]any{"urls": "ldaps://admin:" + secret + "@ldap.example.org"}))
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("a URL with a password in it is accepted or echoed: %v", err)
	}
}

func TestPlaintextRules(t *testing.T) {
	tests := []struct {
		name    string
		raw     map[string]any
		wantErr bool
	}{
		{"ldaps remote", minimal(nil), false},
		{"ldap loopback v4", minimal(map[string]any{"urls": "ldap://127.0.0.1:3389"}), false},
		{"ldap loopback v6", minimal(map[string]any{"urls": "ldap://[::1]:3389"}), false},
		{"ldap localhost", minimal(map[string]any{"urls": "ldap://localhost"}), false},
		{"ldap remote", minimal(map[string]any{"urls": "ldap://ldap.example.org"}), true},
		{"ldap remote with start_tls", minimal(map[string]any{"urls": "ldap://ldap.example.org", "start_tls": true}), false},
		{"ldap remote allowed", minimal(map[string]any{"urls": "ldap://ldap.example.org", "allow_plaintext": true}), false},
		{"second url remote", minimal(map[string]any{"urls": []any{"ldaps://a", "ldap://b"}}), true},
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
		cfg, err := ParseConfig(minimal(map[string]any{"bind_dn": "cn=svc,dc=example,dc=org", "bind_password": tt.value}))
		if err != nil {
			t.Fatalf("%s: %v", tt.value, err)
		}
		if cfg.Directory.BindPassword.Reveal() != tt.want {
			t.Fatalf("%s: resolved to %q, want %q", tt.value, cfg.Directory.BindPassword.Reveal(), tt.want)
		}
		if s := fmt.Sprintf("%v %+v %#v", cfg.Directory.BindPassword, cfg, cfg); strings.Contains(s, tt.want) {
			t.Fatalf("printing the config reveals the password: %s", s)
		}
	}
}

func TestFingerprint(t *testing.T) {
	a, _ := ParseConfig(minimal(map[string]any{"pool_size": 4.0}))
	b, _ := ParseConfig(minimal(map[string]any{"pool_size": 4.0}))
	c, _ := ParseConfig(minimal(map[string]any{"pool_size": 5.0}))
	if a.Fingerprint != b.Fingerprint {
		t.Error("equal configurations have different fingerprints")
	}
	if a.Fingerprint == c.Fingerprint {
		t.Error("different configurations share a fingerprint")
	}
	// A rotated secret behind the same file:// reference is a new config.
	file := filepath.Join(t.TempDir(), "pw")
	raw := minimal(map[string]any{"bind_dn": "cn=svc,dc=example,dc=org", "bind_password": "file://" + file})
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
	// A replaced CA file behind the same path is a new config too.
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	caRaw := minimal(map[string]any{"tls_ca_file": caFile})
	os.WriteFile(caFile, testCertPEM(t, "first CA"), 0o600)
	f, err := ParseConfig(caRaw)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(caFile, testCertPEM(t, "second CA"), 0o600)
	g, err := ParseConfig(caRaw)
	if err != nil {
		t.Fatal(err)
	}
	if f.Fingerprint == g.Fingerprint {
		t.Error("replacing the tls_ca_file content does not change the fingerprint")
	}
}

func TestDirectBindTemplates(t *testing.T) {
	tests := []struct {
		template string
		isDN     bool
	}{
		{"uid={username},ou=people,dc=example,dc=org", true},
		{"sn={username},ou=users,dc=corp,dc=example,dc=com", true},
		{"{username}@corp.example.com", false},
		{`CORP\{username}`, false},
	}
	for _, tt := range tests {
		cfg, err := ParseConfig(minimal(map[string]any{"user_dn_template": tt.template, "username_attribute": usernameAttributeFor(tt.template)}))
		if err != nil {
			t.Fatalf("%s: %v", tt.template, err)
		}
		if cfg.SearchMode() || cfg.Directory.BindTemplate.IsDN() != tt.isDN {
			t.Errorf("%s: search mode %v, DN %v; want direct bind, DN %v", tt.template, cfg.SearchMode(), cfg.Directory.BindTemplate.IsDN(), tt.isDN)
		}
	}
}

// usernameAttributeFor is the attribute a DN template logs users in with
// (uid, sn, ...), or AD's sAMAccountName for the other forms.
func usernameAttributeFor(template string) string {
	if i := strings.Index(template, "={username}"); i > 0 {
		return template[:i]
	}
	return "sAMAccountName"
}

func TestGroupSourceChoice(t *testing.T) {
	tests := []struct {
		name string
		raw  map[string]any
		want directory.GroupSource
	}{
		{"nothing needs groups", minimal(nil), ""},
		{"required groups with base: search", minimal(map[string]any{"required_groups": "admins", "group_base_dn": "ou=groups,dc=example,dc=org"}), directory.GroupsFromSearch},
		{"required group DN without base: memberOf", minimal(map[string]any{"required_groups": "cn=admins,ou=groups,dc=example,dc=org"}), directory.GroupsFromMemberOf},
		{"groups header alone", minimal(map[string]any{"groups_header": "X-Groups"}), directory.GroupsFromMemberOf},
		{"explicit memberof", minimal(map[string]any{"group_source": "memberof", "group_base_dn": "ou=groups,dc=example,dc=org"}), directory.GroupsFromMemberOf},
	}
	for _, tt := range tests {
		cfg, err := ParseConfig(tt.raw)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if cfg.Directory.Groups.Source != tt.want {
			t.Errorf("%s: group source %q, want %q", tt.name, cfg.Directory.Groups.Source, tt.want)
		}
	}
}

// testCertPEM is a self-signed certificate, different on every call.
func testCertPEM(t *testing.T, name string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
