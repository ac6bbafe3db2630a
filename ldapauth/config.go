package ldapauth

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	ldap "github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/secret"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/state"
)

// Defaults that are not obvious from the key alone.
const (
	DefaultSearchFilter  = "(uid={username})"
	DefaultGroupFilter   = "(|(member={dn})(uniqueMember={dn})(memberUid={username}))"
	DefaultRealm         = "Restricted"
	DefaultUserHeader    = "X-Authenticated-User"
	maxConfigDuration    = 24 * time.Hour * 365
	maxOperationDuration = 5 * time.Minute
)

// Config is one API's validated plugin configuration, built by ParseConfig
// from the API definition's config_data. It never changes afterwards; a
// changed config_data yields a new Config.
type Config struct {
	// Directory is how users are checked: the servers, TLS, timeouts and
	// pools, how a user's entry is found, and where groups come from.
	Directory directory.Options

	// Realm is sent in WWW-Authenticate.
	Realm string
	// SessionKeySecret keys the Tyk session ID derived from the user's
	// identity. Empty: a random per-process secret.
	SessionKeySecret secret.Value
	// SessionLifetime is how long Tyk keeps a persisted session in Redis.
	SessionLifetime time.Duration
	// Policies are Tyk policy IDs applied to every user of this API.
	Policies []string
	// HideCredentials removes Authorization before the upstream sees it.
	HideCredentials bool
	// UserHeader carries the canonical username upstream; empty sends none.
	// A client's X-Authenticated-User is removed either way.
	UserHeader string

	// CacheTTL is how long a successful check is reused; 0 disables caching.
	CacheTTL time.Duration
	// NegativeCacheTTL is how long a rejected password is remembered; 0 is off.
	NegativeCacheTTL time.Duration
	// CacheMaxEntries bounds each of the positive and negative caches.
	CacheMaxEntries int
	// StaleIfError serves a cached success this long past CacheTTL while no
	// directory server can be reached.
	StaleIfError time.Duration
	// RevocationWatch is how the directory is watched for changes that must
	// end cached decisions at once: RevocationAuto, RevocationPoll or
	// RevocationOff. Without a service account there is no watch.
	RevocationWatch string
	// RevocationPollInterval is how often a polling watch looks.
	RevocationPollInterval time.Duration

	// Access rules: with either set, a user must be listed in AllowedUsers
	// or belong to one of RequiredGroups.
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

	// MaxFailures wrong passwords for one account within FailureWindow make
	// further attempts answer 429 without the password reaching the
	// directory; 0 disables it.
	MaxFailures   int
	FailureWindow time.Duration
	// MaxFailuresPerClient wrong passwords from one client address, across
	// all usernames, within ClientFailureWindow make that client's further
	// attempts answer 429 (password spraying); 0 disables it.
	MaxFailuresPerClient int
	ClientFailureWindow  time.Duration
	// TrustedProxies are the networks whose forwarding header
	// (TrustedProxyHeader) names the client; a request from anywhere else
	// is counted by its socket address. Empty: headers are never believed.
	TrustedProxies     []netip.Prefix
	TrustedProxyHeader string
	// ClientIPv6Prefix is how many leading bits of an IPv6 client address
	// the per-client limit counts as one client.
	ClientIPv6Prefix int

	// SharedState is where failure counts live: SharedLocal (this gateway
	// process) or SharedRedis (the Redis every gateway node shares).
	SharedState string
	// Redis, when set (redis_url), is used instead of the gateway's own
	// Redis settings.
	Redis *state.RedisOptions
	// RedisTimeout bounds every call to Redis.
	RedisTimeout time.Duration

	// AuditLog writes one info line per denied request and per lock.
	AuditLog bool

	// TraceUsernames puts the username (enduser.id) on the plugin's
	// OpenTelemetry spans; off, spans never name a user.
	TraceUsernames bool

	// Fingerprint identifies this configuration: equal config_data and equal
	// resolved secrets and CA files, equal fingerprint.
	Fingerprint [32]byte
}

// SearchMode reports whether users are found by search-then-bind.
func (c *Config) SearchMode() bool { return c.Directory.BindTemplate.IsZero() }

// NeedsGroups reports whether anything uses the user's groups.
func (c *Config) NeedsGroups() bool { return c.Directory.Groups.Source != "" }

// ParseConfig validates raw (an API's config_data) and returns the
// configuration, or an error listing every problem, each naming its key.
// It reads the files the configuration names (CA certificates, file://
// secrets), so call it outside any lock.
func ParseConfig(raw map[string]any) (*Config, error) {
	if raw == nil {
		raw = map[string]any{}
	}
	d := &decoder{raw: raw}
	d.checkUnknownKeys()
	c := &Config{}
	var files fileHashes
	c.parseConnection(d, &files)
	c.parseUserLookup(d)
	c.parseGateway(d)
	c.parseCache(d)
	c.parseGroups(d)
	c.parseProtection(d)
	if err := d.err(); err != nil {
		return nil, err
	}
	// An unknown user costs the same round trips as a wrong password.
	c.Directory.EqualizeTiming = true
	secrets := []secret.Value{c.Directory.BindPassword, c.SessionKeySecret}
	if c.Redis != nil {
		secrets = append(secrets, c.Redis.Password)
	}
	c.Fingerprint = fingerprint(raw, files, secrets...)
	return c, nil
}

// Where failure counts live.
const (
	SharedLocal = "local"
	SharedRedis = "redis"
)

func (c *Config) parseProtection(d *decoder) {
	c.MaxFailures = d.integer("max_failures", 0, 0, 1000)
	c.FailureWindow = d.duration("failure_window", 15*time.Minute, time.Second, maxConfigDuration)
	c.MaxFailuresPerClient = d.integer("max_failures_per_client", 0, 0, 1_000_000)
	c.ClientFailureWindow = d.duration("client_failure_window", 15*time.Minute, time.Second, maxConfigDuration)
	c.parseClientAddress(d)
	c.AuditLog = d.boolean("audit_log", true)
	c.TraceUsernames = d.boolean("trace_usernames", false)
	c.RedisTimeout = d.duration("redis_timeout", 250*time.Millisecond, time.Millisecond, 10*time.Second)
	switch c.SharedState = d.str("shared_state", SharedLocal); c.SharedState {
	case SharedLocal:
		if _, given := d.lookup("redis_url"); given {
			d.fail("redis_url", "is only used with shared_state \"redis\"")
		}
	case SharedRedis:
		if c.SessionKeySecret == "" && !d.failed("session_key_secret") {
			d.fail("session_key_secret", "is required with shared_state \"redis\": every node must derive the same keys (set the same value on all of them)")
		}
		if _, given := d.lookup("redis_url"); given {
			if url := d.secret("redis_url"); url != "" {
				o, err := state.ParseRedisURL(url.Reveal())
				if err != nil {
					d.fail("redis_url", "%v", err)
				} else {
					c.Redis = &o
				}
			}
		}
	default:
		d.fail("shared_state", "must be \"local\" or \"redis\", got %q", c.SharedState)
	}
}

// parseClientAddress reads who may name the client in a forwarding
// header, and how IPv6 clients are grouped.
func (c *Config) parseClientAddress(d *decoder) {
	for i, raw := range d.strings("trusted_proxies") {
		p, err := parseNetwork(raw)
		if err != nil {
			d.fail("trusted_proxies", "entry %d (%q) is not an address or a CIDR network such as \"10.0.0.0/8\" or \"fd00::/8\"", i, raw)
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	c.TrustedProxyHeader = d.str("trusted_proxy_header", DefaultTrustedProxyHeader)
	if c.TrustedProxyHeader == "" || strings.IndexFunc(c.TrustedProxyHeader, func(r rune) bool { return r > 0x7f || !isTokenChar(byte(r)) }) >= 0 {
		d.fail("trusted_proxy_header", "%q is not an HTTP header name (e.g. \"X-Forwarded-For\" or \"X-Real-IP\")", c.TrustedProxyHeader)
	}
	c.ClientIPv6Prefix = d.integer("client_ipv6_prefix", DefaultClientIPv6Prefix, 16, 128)
}

// parseNetwork reads "10.0.0.0/8", "fd00::/8" or a single address.
func parseNetwork(raw string) (netip.Prefix, error) {
	raw = strings.TrimSpace(raw)
	if strings.Contains(raw, "/") {
		p, err := netip.ParsePrefix(raw)
		if err != nil {
			return netip.Prefix{}, err
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(raw)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func (c *Config) parseConnection(d *decoder, files *fileHashes) {
	o := &c.Directory
	o.StartTLS = d.boolean("start_tls", false)
	allowPlaintext := d.boolean("allow_plaintext", false)
	o.TLS = d.tlsOptions(files)
	o.DialTimeout = d.duration("dial_timeout", directory.DefaultDialTimeout, time.Millisecond, maxOperationDuration)
	o.RequestTimeout = d.duration("request_timeout", directory.DefaultRequestTimeout, time.Millisecond, maxOperationDuration)
	o.PoolSize = d.integer("pool_size", directory.DefaultPoolSize, 1, 1024)
	o.PoolIdleTimeout = d.duration("pool_idle_timeout", directory.DefaultPoolIdleTimeout, time.Second, maxConfigDuration)

	_, urlsGiven := d.lookup("urls")
	_, domainGiven := d.lookup("domain")
	switch {
	case urlsGiven && domainGiven:
		d.fail("domain", "cannot be combined with urls: set urls (a fixed list) or domain (servers found through DNS), not both")
	case domainGiven:
		c.parseDiscovery(d)
		return
	}
	for _, key := range []string{"ad_site", "dns_server"} {
		if _, given := d.lookup(key); given {
			d.fail(key, "is only used with domain (servers found through DNS)")
		}
	}
	urls := d.strings("urls")
	if !urlsGiven || len(urls) == 0 {
		d.fail("urls", "is required (or domain): list the directory servers, e.g. [\"ldaps://ldap.example.org:636\"]")
	}
	for i, raw := range urls {
		srv, err := directory.ParseServer(raw)
		if err != nil {
			d.fail("urls", "entry %d%s: %v", i, quotedURL(raw), err)
			continue
		}
		if srv.Encrypted() && o.StartTLS {
			d.fail("start_tls", "cannot be combined with the ldaps:// URL %s (ldaps is already encrypted)", raw)
		}
		if !srv.Encrypted() && !o.StartTLS && !allowPlaintext && !srv.IsLoopback() {
			d.fail("urls", "%s would send passwords in clear text: use ldaps://, set start_tls: true, or set allow_plaintext: true", raw)
		}
		o.Servers = append(o.Servers, srv)
	}
}

// parseDiscovery reads domain, ad_site and dns_server: the servers come
// from DNS SRV records, over LDAPS on port 636, or over StartTLS on the
// records' port with start_tls.
func (c *Config) parseDiscovery(d *decoder) {
	disc := &directory.DiscoveryOptions{
		Domain:    strings.TrimSuffix(d.str("domain", ""), "."),
		Site:      d.str("ad_site", ""),
		DNSServer: d.str("dns_server", ""),
	}
	if !isDNSName(disc.Domain) || !strings.Contains(disc.Domain, ".") {
		d.fail("domain", "must be a DNS domain such as \"corp.example.org\", got %q", disc.Domain)
	}
	if disc.Site != "" && !isDNSLabel(disc.Site) {
		d.fail("ad_site", "must be an Active Directory site name as DNS publishes it (letters, digits and hyphens, e.g. \"Default-First-Site-Name\"), or \"auto\" to ask the domain controllers, got %q", disc.Site)
	}
	if disc.DNSServer != "" {
		host, port, err := net.SplitHostPort(disc.DNSServer)
		if err != nil || host == "" || port == "" {
			// A bare address means the standard port.
			if ip := net.ParseIP(strings.Trim(disc.DNSServer, "[]")); ip != nil {
				disc.DNSServer = net.JoinHostPort(ip.String(), "53")
			} else {
				d.fail("dns_server", "must be host:port of a DNS server, e.g. \"10.0.0.10:53\", got %q", disc.DNSServer)
			}
		}
	}
	c.Directory.Discovery = disc
}

// isDNSName reports whether s is dot-separated DNS labels.
func isDNSName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if !isDNSLabel(label) {
			return false
		}
	}
	return true
}

// isDNSLabel reports whether s is one DNS label of letters, digits,
// hyphens and underscores, not starting or ending with a hyphen.
func isDNSLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')) {
			return false
		}
	}
	return true
}

// quotedURL repeats a URL in an error message unless it may carry a
// password in its userinfo.
func quotedURL(raw string) string {
	if strings.Contains(raw, "@") {
		return ""
	}
	return " (" + raw + ")"
}

var tlsVersions = map[string]uint16{
	"1.0": tls.VersionTLS10,
	"1.1": tls.VersionTLS11,
	"1.2": tls.VersionTLS12,
	"1.3": tls.VersionTLS13,
}

func (d *decoder) tlsOptions(files *fileHashes) directory.TLSOptions {
	o := directory.TLSOptions{
		ServerName:         d.str("tls_server_name", ""),
		InsecureSkipVerify: d.boolean("tls_insecure_skip_verify", false),
		MinVersion:         tls.VersionTLS12,
	}
	if v := d.str("tls_min_version", "1.2"); v != "" {
		if ver, ok := tlsVersions[v]; ok {
			o.MinVersion = ver
		} else {
			d.fail("tls_min_version", "must be one of \"1.0\", \"1.1\", \"1.2\", \"1.3\", got %q", v)
		}
	}
	caFile := d.str("tls_ca_file", "")
	caPEM := d.str("tls_ca_pem", "")
	if caFile == "" && caPEM == "" {
		return o
	}
	// A configured CA replaces the system roots rather than adding to them:
	// trusting "our directory's CA or any public CA" is rarely what is meant.
	pool := x509.NewCertPool()
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		switch {
		case err != nil:
			d.fail("tls_ca_file", "cannot read %s: %v", caFile, err)
		case !pool.AppendCertsFromPEM(pem):
			d.fail("tls_ca_file", "%s holds no PEM certificate", caFile)
		default:
			// A replaced CA file is a new configuration on the next reload.
			files.add(pem)
		}
	}
	if caPEM != "" && !pool.AppendCertsFromPEM([]byte(caPEM)) {
		d.fail("tls_ca_pem", "holds no PEM certificate (it must include the BEGIN/END CERTIFICATE lines)")
	}
	o.RootCAs = pool
	return o
}

func (c *Config) parseUserLookup(d *decoder) {
	o := &c.Directory
	o.SearchBaseDN = d.str("search_base_dn", "")
	o.BindDN = d.str("bind_dn", "")
	o.BindPassword = d.secret("bind_password")
	o.UsernameAttribute = d.str("username_attribute", "uid")
	checkAttributeName(d, "username_attribute", o.UsernameAttribute)

	switch scope := d.str("search_scope", "sub"); scope {
	case "sub":
		o.SearchScope = directory.ScopeSubtree
	case "one":
		o.SearchScope = directory.ScopeOneLevel
	default:
		d.fail("search_scope", "must be \"sub\" or \"one\", got %q", scope)
	}

	_, filterGiven := d.lookup("search_filter")
	filter := d.str("search_filter", DefaultSearchFilter)
	if text := d.str("user_dn_template", ""); text != "" {
		c.parseBindTemplate(d, text, filterGiven)
	} else {
		o.SearchFilter = compileFilter(d, "search_filter", filter, "username")
		if o.SearchBaseDN == "" {
			d.fail("search_base_dn", "set search_base_dn (search then bind) or user_dn_template (direct bind)")
		}
	}
	checkDN(d, "search_base_dn", o.SearchBaseDN)
	checkDN(d, "bind_dn", o.BindDN)
	if login := o.LoginAttribute(); !strings.EqualFold(login, o.UsernameAttribute) && o.BindDN == "" &&
		!directory.DirectoryUnique(o.UsernameAttribute) && !d.failed("user_dn_template") && !d.failed("search_filter") {
		// The uniqueness search would run anonymously or as the user, who
		// may see no entry but their own and so find no duplicate.
		d.fail("bind_dn", "is required when username_attribute (%s) is not the attribute users log in with%s: "+
			"a service account that can search all users must check that no other entry holds the same username",
			o.UsernameAttribute, loginHint(login))
	}
	_, passwordGiven := d.lookup("bind_password")
	switch {
	case o.BindDN != "" && o.BindPassword == "" && !d.failed("bind_password"):
		d.fail("bind_password", "is required when bind_dn is set (a bind with an empty password is an anonymous bind)")
	case o.BindDN == "" && passwordGiven:
		d.fail("bind_dn", "is required when bind_password is set")
	}
}

func (c *Config) parseBindTemplate(d *decoder, text string, filterGiven bool) {
	o := &c.Directory
	bt, err := directory.ParseBindTemplate(text)
	if err != nil {
		d.fail("user_dn_template", "%v", err)
		return
	}
	o.BindTemplate = bt
	if filterGiven {
		d.fail("search_filter", "is only used by search then bind; with user_dn_template the entry that bound is read by its DN, userPrincipalName or sAMAccountName (remove search_filter)")
	}
	switch {
	case !bt.IsDN() && o.SearchBaseDN == "":
		d.fail("search_base_dn", "is required with a user_dn_template that is not a DN (%s): the entry that bound is looked up there", text)
	case bt.IsDN() && o.SearchBaseDN == "" && bt.EntryBase() == "" && !strings.EqualFold(bt.LoginAttribute(), o.UsernameAttribute):
		d.fail("search_base_dn", "is required when username_attribute (%s) is not the attribute in user_dn_template: it is where the username is checked to be unique", o.UsernameAttribute)
	}
}

func loginHint(login string) string {
	if login == "" {
		return ""
	}
	return " (" + login + ")"
}

// compileFilter compiles an LDAP filter template that must use one of the
// placeholders.
func compileFilter(d *decoder, key, text string, placeholders ...string) directory.Template {
	t, err := directory.CompileTemplate(text, placeholders...)
	if err != nil {
		d.fail(key, "%v", err)
		return directory.Template{}
	}
	if !slices.ContainsFunc(placeholders, t.Uses) {
		d.fail(key, "must contain %s: without it the filter matches the same entries for every user", placeholderNames(placeholders))
		return directory.Template{}
	}
	sample := map[string]string{}
	for _, p := range placeholders {
		sample[p] = "x"
	}
	if _, err := ldap.CompileFilter(t.Expand(func(s string) string { return s }, sample)); err != nil {
		d.fail(key, "is not a valid LDAP filter: %v", err)
		return directory.Template{}
	}
	return t
}

func placeholderNames(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "{" + n + "}"
	}
	return strings.Join(quoted, " or ")
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
	c.RevocationWatch = d.str("revocation_watch", RevocationAuto)
	if !slices.Contains([]string{RevocationAuto, RevocationPoll, RevocationOff}, c.RevocationWatch) {
		d.fail("revocation_watch", `must be "auto", "poll" or "off"`)
	}
	c.RevocationPollInterval = d.duration("revocation_poll_interval", directory.DefaultPollInterval, 100*time.Millisecond, time.Hour)
}

// Values of revocation_watch.
const (
	// RevocationAuto watches with content synchronisation where the
	// directory offers it, else by polling.
	RevocationAuto = "auto"
	// RevocationPoll always polls.
	RevocationPoll = "poll"
	// RevocationOff does not watch: decisions live their cache_ttl.
	RevocationOff = "off"
)

// Watches reports whether decisions are evicted on directory changes: the
// watch is on, there is a cache to evict from, and a service account to
// watch with.
func (c *Config) Watches() bool {
	return c.RevocationWatch != RevocationOff && c.Directory.BindDN != "" && (c.CacheTTL > 0 || c.NegativeCacheTTL > 0)
}

func (c *Config) parseGroups(d *decoder) {
	g := &c.Directory.Groups
	source := directory.GroupSource(d.str("group_source", ""))
	g.BaseDN = d.str("group_base_dn", "")
	g.NameAttribute = d.str("group_name_attribute", "cn")
	g.Nested = d.boolean("nested_groups", false)
	g.Filter = compileFilter(d, "group_filter", d.str("group_filter", DefaultGroupFilter), "dn", "username")
	c.RequiredGroups = d.strings("required_groups")
	c.AllowedUsers = d.strings("allowed_users")
	c.GroupPolicies = d.listMap("group_policies")
	c.GroupsHeader = d.str("groups_header", "")
	c.AttributeHeaders = d.stringMap("attribute_headers")
	c.MetadataAttributes = d.strings("metadata_attributes")

	checkHeaderName(d, "groups_header", c.GroupsHeader)
	for _, attr := range slices.Sorted(maps.Keys(c.AttributeHeaders)) {
		checkAttributeName(d, "attribute_headers", attr)
		checkHeaderName(d, "attribute_headers", c.AttributeHeaders[attr])
	}
	for _, attr := range c.MetadataAttributes {
		checkAttributeName(d, "metadata_attributes", attr)
	}
	attrs := d.strings("attributes")
	for _, attr := range attrs {
		checkAttributeName(d, "attributes", attr)
	}
	c.Directory.Attributes = requestedAttributes(attrs, c.AttributeHeaders, c.MetadataAttributes)
	checkAttributeName(d, "group_name_attribute", g.NameAttribute)
	checkDN(d, "group_base_dn", g.BaseDN)
	for _, ref := range c.RequiredGroups {
		checkGroupRef(d, "required_groups", ref, g.BaseDN)
	}
	for _, ref := range slices.Sorted(maps.Keys(c.GroupPolicies)) {
		checkGroupRef(d, "group_policies", ref, g.BaseDN)
	}

	needsGroups := len(c.RequiredGroups) > 0 || len(c.GroupPolicies) > 0 || c.GroupsHeader != ""
	switch source {
	case "":
		if needsGroups {
			// Pick the source the operator's other keys point at.
			g.Source = directory.GroupsFromMemberOf
			if g.BaseDN != "" {
				g.Source = directory.GroupsFromSearch
			}
		}
	case directory.GroupsFromSearch:
		g.Source = source
		if g.BaseDN == "" {
			d.fail("group_base_dn", "is required with group_source \"search\"")
		}
	case directory.GroupsFromMemberOf:
		g.Source = source
	default:
		d.fail("group_source", "must be \"search\" or \"memberof\", got %q", source)
	}
}

// requestedAttributes is every attribute the operator asked to read, once
// each, in a stable order.
func requestedAttributes(attrs []string, headers map[string]string, metadata []string) []string {
	var out []string
	add := func(a string) {
		if !slices.ContainsFunc(out, func(have string) bool { return strings.EqualFold(have, a) }) {
			out = append(out, a)
		}
	}
	for _, a := range attrs {
		add(a)
	}
	for _, a := range slices.Sorted(maps.Keys(headers)) {
		add(a)
	}
	for _, a := range metadata {
		add(a)
	}
	return out
}

func checkDN(d *decoder, key, dn string) {
	if dn == "" {
		return
	}
	if _, err := ldap.ParseDN(dn); err != nil {
		d.fail(key, "is not a valid DN (%q): %v", dn, err)
	}
}

// isDNRef tells a full DN ("cn=admins,ou=groups,...") from a group name.
func isDNRef(ref string) bool { return strings.Contains(ref, "=") }

// checkGroupRef accepts a group DN under the group base, or a bare group
// name when a group base confines which groups such a name can match.
func checkGroupRef(d *decoder, key, ref, base string) {
	switch {
	case isDNRef(ref):
		checkDN(d, key, ref)
		if base != "" && !directory.IsUnder(ref, base) {
			d.fail(key, "the group %q is not under group_base_dn %q, so it can never match", ref, base)
		}
	case base == "":
		d.fail(key, "the bare group name %q needs group_base_dn: without it a group of that name anywhere in the directory would match (set group_base_dn, or use the group's full DN)", ref)
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
	"Content-Length", "Content-Type", "Transfer-Encoding", "Connection", "Upgrade", "Te", "Trailer",
	"Keep-Alive", "Proxy-Connection", "Proxy-Authenticate"}

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
	if slices.Contains(reservedHeaders, http.CanonicalHeaderKey(name)) {
		d.fail(key, "%q cannot carry identity: it is a standard header the gateway relies on", name)
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

// fileHashes are the hashes of files a configuration read.
type fileHashes [][sha256.Size]byte

func (f *fileHashes) add(content []byte) { *f = append(*f, sha256.Sum256(content)) }

// fingerprint hashes the configuration as written plus what it resolved:
// a rotated file:// secret or a replaced CA file must count as a new
// configuration even though config_data did not change. encoding/json
// sorts map keys, so equal maps give equal fingerprints.
func fingerprint(raw map[string]any, files fileHashes, secrets ...secret.Value) [32]byte {
	b, err := json.Marshal(raw)
	if err != nil {
		// Unreachable for JSON-decoded config; fall back to the %v form.
		b = []byte(fmt.Sprintf("%v", raw))
	}
	h := sha256.New()
	h.Write(b)
	for _, f := range files {
		h.Write(f[:])
	}
	for _, s := range secrets {
		sum := sha256.Sum256([]byte(s))
		h.Write(sum[:])
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}
