package ldapauth

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	ldap "github.com/go-ldap/ldap/v3"
)

// configKeys lists every key config_data may hold. Anything else is refused.
var configKeys = []string{
	// Directory servers and transport security.
	"urls", "start_tls", "tls_ca_file", "tls_ca_pem", "tls_server_name",
	"tls_insecure_skip_verify", "tls_min_version", "allow_plaintext",
	"dial_timeout", "request_timeout", "pool_size", "pool_idle_timeout",
	// Finding and checking the user.
	"user_dn_template", "search_base_dn", "search_filter", "search_scope",
	"bind_dn", "bind_password", "username_attribute", "attributes",
	// The gateway side: responses, sessions, headers.
	"realm", "session_key_secret", "session_lifetime", "policies",
	"hide_credentials", "user_header",
	// Caching.
	"cache_ttl", "negative_cache_ttl", "cache_max_entries", "stale_if_error",
	// Groups and access rules.
	"group_source", "group_base_dn", "group_filter", "group_name_attribute",
	"nested_groups", "required_groups", "allowed_users", "group_policies",
	"groups_header", "attribute_headers", "metadata_attributes",
	// Brute-force protection.
	"max_failures", "failure_window",
}

// ConfigKeys returns every configuration key the plugin understands.
func ConfigKeys() []string { return append([]string(nil), configKeys...) }

// Defaults that are not obvious from the key alone.
const (
	DefaultSearchFilter  = "(uid={username})"
	DefaultGroupFilter   = "(|(member={dn})(uniqueMember={dn})(memberUid={username}))"
	DefaultRealm         = "Restricted"
	DefaultUserHeader    = "X-Authenticated-User"
	maxConfigDuration    = 24 * time.Hour * 365
	maxOperationDuration = 5 * time.Minute
)

// Group sources.
const (
	GroupSourceSearch   = "search"
	GroupSourceMemberOf = "memberof"
)

// Config is one API's validated plugin configuration. It is built by
// ParseConfig from the API definition's config_data and never changes
// afterwards; a changed config_data yields a new Config.
type Config struct {
	// Servers are the directory servers from "urls", tried in order.
	Servers []Server
	// StartTLS upgrades ldap:// connections with the StartTLS operation.
	StartTLS bool
	// AllowPlaintext permits ldap:// without StartTLS to non-loopback hosts.
	AllowPlaintext bool
	tls            tlsSettings

	// DialTimeout bounds connecting, TLS and the service-account bind.
	DialTimeout time.Duration
	// RequestTimeout bounds each LDAP operation. A whole authentication never
	// takes longer than DialTimeout + RequestTimeout.
	RequestTimeout time.Duration
	// PoolSize is the number of connections kept per server and purpose.
	PoolSize int
	// PoolIdleTimeout closes connections unused for that long, below Active
	// Directory's 15-minute idle cut-off (MaxConnIdleTime).
	PoolIdleTimeout time.Duration

	// UserDNTemplate, when set, selects direct bind: the user's bind name is
	// the template with {username} substituted (DN-escaped).
	UserDNTemplate string
	userDN         template
	userDNIsDN     bool // false for "{username}@corp.example.com" style names

	// SearchBaseDN selects search-then-bind (or, with a non-DN
	// UserDNTemplate, where the user's own entry is looked up after binding).
	SearchBaseDN string
	SearchFilter string
	searchFilter template
	SearchScope  int // ldap.ScopeWholeSubtree or ldap.ScopeSingleLevel

	// BindDN and BindPassword are the service account used for searches. Both
	// empty means searches run anonymously (search-then-bind) or as the user
	// (direct bind).
	BindDN       string
	BindPassword Secret

	// UsernameAttribute names the attribute whose value is the canonical
	// username: sessions, rate limits and lockouts are keyed on it.
	UsernameAttribute string
	// Attributes are extra attributes read from the user's entry.
	Attributes []string

	// Realm is sent in WWW-Authenticate.
	Realm string
	// SessionKeySecret keys the Tyk session ID derived from the username.
	// Empty: a random per-process secret (see README).
	SessionKeySecret Secret
	// SessionLifetime is how long Tyk keeps a persisted session in Redis.
	SessionLifetime time.Duration
	// Policies are Tyk policy IDs applied to every user of this API.
	Policies []string
	// HideCredentials removes Authorization before the upstream sees it.
	HideCredentials bool
	// UserHeader carries the canonical username upstream; empty disables it.
	UserHeader string

	// CacheTTL is how long a successful check is reused; 0 disables caching.
	CacheTTL time.Duration
	// NegativeCacheTTL is how long a rejected password is remembered; 0 is off.
	NegativeCacheTTL time.Duration
	// CacheMaxEntries bounds each of the positive and negative caches.
	CacheMaxEntries int
	// StaleIfError serves a cached success this long past CacheTTL while the
	// directory is unavailable.
	StaleIfError time.Duration

	// Group resolution; GroupSource is empty when nothing needs groups.
	GroupSource        string
	GroupBaseDN        string
	GroupFilter        string
	groupFilter        template
	GroupNameAttribute string
	NestedGroups       bool

	// Access rules: with either set, a user must be listed in AllowedUsers or
	// belong to one of RequiredGroups.
	RequiredGroups []string
	AllowedUsers   []string
	// GroupPolicies maps a group (name or DN) to Tyk policy IDs.
	GroupPolicies map[string][]string

	// GroupsHeader carries the user's group names upstream; empty disables it.
	GroupsHeader string
	// AttributeHeaders maps an LDAP attribute to the header carrying it.
	AttributeHeaders map[string]string
	// MetadataAttributes are copied into the session's MetaData as ldap_<attr>.
	MetadataAttributes []string

	// MaxFailures wrong passwords for one user within FailureWindow make
	// further attempts answer 429 without contacting LDAP; 0 disables it.
	MaxFailures   int
	FailureWindow time.Duration

	// Fingerprint identifies this configuration: equal config_data, equal
	// fingerprint. Cache keys include it.
	Fingerprint [32]byte
}

// Server is one entry of "urls".
type Server struct {
	URL    string // as configured, for logs
	Scheme string // "ldap" or "ldaps"
	Host   string // host name, for TLS verification
	Addr   string // host:port to dial
}

// SearchMode reports whether users are found by search-then-bind.
func (c *Config) SearchMode() bool { return c.UserDNTemplate == "" }

// NeedsGroups reports whether anything uses the user's groups.
func (c *Config) NeedsGroups() bool { return c.GroupSource != "" }

// ParseConfig validates raw (an API's config_data) and returns the
// configuration, or an error listing every problem, each naming its key.
func ParseConfig(raw map[string]interface{}) (*Config, error) {
	if raw == nil {
		raw = map[string]interface{}{}
	}
	d := &decoder{raw: raw}
	d.checkUnknownKeys()
	c := &Config{}
	c.parseConnection(d)
	c.parseUserLookup(d)
	c.parseGateway(d)
	c.parseCache(d)
	c.parseGroups(d)
	c.MaxFailures = d.integer("max_failures", 0, 0, 1000)
	c.FailureWindow = d.duration("failure_window", 15*time.Minute, time.Second, maxConfigDuration)
	if err := d.err(); err != nil {
		return nil, err
	}
	c.Fingerprint = fingerprint(raw, c.BindPassword, c.SessionKeySecret)
	return c, nil
}

func (c *Config) parseConnection(d *decoder) {
	c.StartTLS = d.boolean("start_tls", false)
	c.AllowPlaintext = d.boolean("allow_plaintext", false)
	c.tls = d.tlsSettings()
	c.DialTimeout = d.duration("dial_timeout", 3*time.Second, time.Millisecond, maxOperationDuration)
	c.RequestTimeout = d.duration("request_timeout", 5*time.Second, time.Millisecond, maxOperationDuration)
	c.PoolSize = d.integer("pool_size", 8, 1, 1024)
	c.PoolIdleTimeout = d.duration("pool_idle_timeout", 4*time.Minute, time.Second, maxConfigDuration)

	urls := d.strings("urls")
	if _, present := d.lookup("urls"); !present || len(urls) == 0 {
		d.fail("urls", "is required: list the directory servers, e.g. [\"ldaps://ldap.example.org:636\"]")
	}
	for i, raw := range urls {
		srv, err := parseServer(raw)
		if err != nil {
			d.fail("urls", "entry %d (%s): %v", i, raw, err)
			continue
		}
		if srv.Scheme == "ldaps" && c.StartTLS {
			d.fail("start_tls", "cannot be combined with the ldaps:// URL %s (ldaps is already encrypted)", raw)
		}
		if srv.Scheme == "ldap" && !c.StartTLS && !c.AllowPlaintext && !isLoopback(srv.Host) {
			d.fail("urls", "%s would send passwords in clear text: use ldaps://, set start_tls: true, or set allow_plaintext: true", raw)
		}
		c.Servers = append(c.Servers, srv)
	}
}

func parseServer(raw string) (Server, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Server{}, fmt.Errorf("not a URL")
	}
	var port string
	switch u.Scheme {
	case "ldap":
		port = "389"
	case "ldaps":
		port = "636"
	default:
		return Server{}, fmt.Errorf("scheme must be ldap:// or ldaps://")
	}
	if u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return Server{}, fmt.Errorf("must be scheme://host[:port] with nothing after the port")
	}
	host := u.Hostname()
	if p := u.Port(); p != "" {
		port = p
	}
	return Server{URL: raw, Scheme: u.Scheme, Host: host, Addr: net.JoinHostPort(host, port)}, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c *Config) parseUserLookup(d *decoder) {
	c.UserDNTemplate = d.str("user_dn_template", "")
	c.SearchBaseDN = d.str("search_base_dn", "")
	c.SearchFilter = d.str("search_filter", DefaultSearchFilter)
	c.BindDN = d.str("bind_dn", "")
	c.BindPassword = d.secret("bind_password")
	c.UsernameAttribute = d.str("username_attribute", "uid")
	c.Attributes = d.strings("attributes")

	switch scope := d.str("search_scope", "sub"); scope {
	case "sub":
		c.SearchScope = ldap.ScopeWholeSubtree
	case "one":
		c.SearchScope = ldap.ScopeSingleLevel
	default:
		d.fail("search_scope", "must be \"sub\" or \"one\", got %q", scope)
	}
	if c.UserDNTemplate != "" {
		t, err := compileTemplate(c.UserDNTemplate, "username")
		switch {
		case err != nil:
			d.fail("user_dn_template", "%v", err)
		case !t.uses("username"):
			d.fail("user_dn_template", "must contain {username}")
		default:
			c.userDN = t
			_, dnErr := ldap.ParseDN(t.expand(identity, map[string]string{"username": "x"}))
			c.userDNIsDN = dnErr == nil && strings.Contains(c.UserDNTemplate, "=")
		}
	}
	t, err := compileTemplate(c.SearchFilter, "username")
	switch {
	case err != nil:
		d.fail("search_filter", "%v", err)
	case !t.uses("username"):
		d.fail("search_filter", "must contain {username}")
	default:
		if _, err := ldap.CompileFilter(t.expand(identity, map[string]string{"username": "x"})); err != nil {
			d.fail("search_filter", "is not a valid LDAP filter: %v", err)
		}
		c.searchFilter = t
	}

	switch {
	case c.UserDNTemplate == "" && c.SearchBaseDN == "":
		d.fail("search_base_dn", "set search_base_dn (search then bind) or user_dn_template (direct bind)")
	case c.UserDNTemplate != "" && !c.userDN.isZero() && !c.userDNIsDN && c.SearchBaseDN == "":
		d.fail("search_base_dn", "is required with a user_dn_template that is not a DN (%s): the user's entry is found there after the bind", c.UserDNTemplate)
	}
	checkDN(d, "search_base_dn", c.SearchBaseDN)
	checkDN(d, "bind_dn", c.BindDN)
	if (c.BindDN == "") != (c.BindPassword == "") {
		if c.BindDN == "" {
			d.fail("bind_dn", "is required when bind_password is set")
		} else if _, given := d.lookup("bind_password"); !given {
			d.fail("bind_password", "is required when bind_dn is set")
		}
	}
	checkAttributeName(d, "username_attribute", c.UsernameAttribute)
	for _, a := range c.Attributes {
		checkAttributeName(d, "attributes", a)
	}
}

func (c *Config) parseGateway(d *decoder) {
	c.Realm = d.str("realm", DefaultRealm)
	if c.Realm == "" || strings.ContainsAny(c.Realm, "\"\\") || !printableASCII(c.Realm) {
		d.fail("realm", "must be printable ASCII without quotes or backslashes")
	}
	c.SessionKeySecret = d.secret("session_key_secret")
	if c.SessionKeySecret != "" && len(c.SessionKeySecret) < 16 {
		d.fail("session_key_secret", "must be at least 16 characters long")
	}
	c.SessionLifetime = d.duration("session_lifetime", time.Hour, time.Second, maxConfigDuration)
	c.Policies = d.strings("policies")
	c.HideCredentials = d.boolean("hide_credentials", true)
	c.UserHeader = d.str("user_header", DefaultUserHeader)
	checkHeaderName(d, "user_header", c.UserHeader)
}

func (c *Config) parseCache(d *decoder) {
	c.CacheTTL = d.duration("cache_ttl", 5*time.Minute, 0, maxConfigDuration)
	c.NegativeCacheTTL = d.duration("negative_cache_ttl", 0, 0, maxConfigDuration)
	c.CacheMaxEntries = d.integer("cache_max_entries", 10000, 1, 10_000_000)
	c.StaleIfError = d.duration("stale_if_error", 0, 0, maxConfigDuration)
	if c.StaleIfError > 0 && c.CacheTTL == 0 {
		d.fail("stale_if_error", "needs cache_ttl above 0: only cached successes can be served stale")
	}
}

func (c *Config) parseGroups(d *decoder) {
	c.GroupSource = d.str("group_source", "")
	c.GroupBaseDN = d.str("group_base_dn", "")
	c.GroupFilter = d.str("group_filter", DefaultGroupFilter)
	c.GroupNameAttribute = d.str("group_name_attribute", "cn")
	c.NestedGroups = d.boolean("nested_groups", false)
	c.RequiredGroups = d.strings("required_groups")
	c.AllowedUsers = d.strings("allowed_users")
	c.GroupPolicies = d.listMap("group_policies")
	c.GroupsHeader = d.str("groups_header", "")
	c.AttributeHeaders = d.stringMap("attribute_headers")
	c.MetadataAttributes = d.strings("metadata_attributes")

	checkHeaderName(d, "groups_header", c.GroupsHeader)
	for attr, header := range c.AttributeHeaders {
		checkAttributeName(d, "attribute_headers", attr)
		checkHeaderName(d, "attribute_headers", header)
	}
	for _, attr := range c.MetadataAttributes {
		checkAttributeName(d, "metadata_attributes", attr)
	}
	checkAttributeName(d, "group_name_attribute", c.GroupNameAttribute)
	checkDN(d, "group_base_dn", c.GroupBaseDN)
	for _, g := range c.RequiredGroups {
		checkGroupRef(d, "required_groups", g)
	}
	for g := range c.GroupPolicies {
		checkGroupRef(d, "group_policies", g)
	}

	t, err := compileTemplate(c.GroupFilter, "dn", "username")
	if err != nil {
		d.fail("group_filter", "%v", err)
	} else if _, err := ldap.CompileFilter(t.expand(identity, map[string]string{"dn": "x", "username": "x"})); err != nil {
		d.fail("group_filter", "is not a valid LDAP filter: %v", err)
	} else {
		c.groupFilter = t
	}

	needsGroups := len(c.RequiredGroups) > 0 || len(c.GroupPolicies) > 0 || c.GroupsHeader != ""
	switch c.GroupSource {
	case "":
		if needsGroups {
			// Pick the source the operator's other keys point at.
			c.GroupSource = GroupSourceMemberOf
			if c.GroupBaseDN != "" {
				c.GroupSource = GroupSourceSearch
			}
		}
	case GroupSourceSearch:
		if c.GroupBaseDN == "" {
			d.fail("group_base_dn", "is required with group_source \"search\"")
		}
	case GroupSourceMemberOf:
	default:
		d.fail("group_source", "must be \"search\" or \"memberof\", got %q", c.GroupSource)
	}
}

func checkDN(d *decoder, key, dn string) {
	if dn == "" {
		return
	}
	if _, err := ldap.ParseDN(dn); err != nil {
		d.fail(key, "is not a valid DN (%q): %v", dn, err)
	}
}

// checkGroupRef accepts a group name or a full DN.
func checkGroupRef(d *decoder, key, ref string) {
	if strings.Contains(ref, "=") {
		checkDN(d, key, ref)
	}
}

func checkAttributeName(d *decoder, key, name string) {
	if name == "" {
		d.fail(key, "attribute name is empty")
		return
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '-' || c == '.' || c == ';' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')) {
			d.fail(key, "%q is not an LDAP attribute name", name)
			return
		}
	}
}

// reservedHeaders may never be configured as identity headers: they carry
// credentials or routing, and overwriting them would break requests.
var reservedHeaders = []string{"Authorization", "Proxy-Authorization", "Host", "Cookie",
	"Content-Length", "Content-Type", "Transfer-Encoding", "Connection", "Upgrade", "Te", "Trailer"}

func checkHeaderName(d *decoder, key, name string) {
	if name == "" {
		return
	}
	for i := 0; i < len(name); i++ {
		if !isTokenChar(name[i]) {
			d.fail(key, "%q is not a valid HTTP header name", name)
			return
		}
	}
	canonical := http.CanonicalHeaderKey(name)
	for _, r := range reservedHeaders {
		if canonical == r {
			d.fail(key, "%q cannot carry identity: it is a standard header the gateway relies on", name)
		}
	}
}

func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func identity(s string) string { return s }

// fingerprint hashes the configuration as written plus the secrets it
// resolved: a rotated file:// secret must count as a new configuration even
// though config_data did not change. encoding/json sorts map keys, so equal
// maps give equal fingerprints.
func fingerprint(raw map[string]interface{}, secrets ...Secret) [32]byte {
	b, err := json.Marshal(raw)
	if err != nil {
		// Unreachable for JSON-decoded config; fall back to the %v form.
		b = []byte(fmt.Sprintf("%v", raw))
	}
	h := sha256.New()
	h.Write(b)
	for _, s := range secrets {
		sum := sha256.Sum256([]byte(s))
		h.Write(sum[:])
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// tlsConfigFor returns the TLS configuration used to reach srv.
func (c *Config) tlsConfigFor(srv Server) *tls.Config { return c.tls.forHost(srv.Host) }
