package ldapauth

import "slices"

// ConfigField declares one key of config_data: its name, its default, an
// example value and what it means, written as the README's configuration
// table shows them (Markdown). Each key is declared here once; the parser
// refuses any other key, and readme_test.go checks the README's table row
// for row against this list, defaults included.
type ConfigField struct {
	Key string
	// Default is what applies when the key is absent: a JSON value in
	// backticks, or words ("(required)", "system roots", "the URL's host").
	Default string
	Example string
	Meaning string
}

// configFields is every key config_data may hold, in the README's order.
// To add a key: one entry here, parsing and validation in ParseConfig, the
// same row in the README's table, and the docs page of its concern.
var configFields = []ConfigField{
	// Directory servers and transport security.
	{Key: "urls", Default: "(required, or `domain`)", Example: "`[\"ldaps://dc1:636\", \"ldaps://dc2:636\"]`",
		Meaning: "directory servers, tried in order; `ldap://` or `ldaps://`, host and port only, no user or password in the URL"},
	{Key: "domain", Default: "(instead of `urls`)", Example: "`\"corp.example.org\"`",
		Meaning: "find the servers through DNS SRV records (`_ldap._tcp.dc._msdcs.<domain>`, then `_ldap._tcp.<domain>`), kept fresh by their TTL; LDAPS on port 636, or StartTLS on the records' port with `start_tls`; certificates are checked against each record's target name. See [docs/active-directory.md](docs/active-directory.md#domain-controllers-from-dns)"},
	{Key: "ad_site", Default: "none", Example: "`\"Berlin\"`",
		Meaning: "with `domain`: prefer the domain controllers of this Active Directory site, and use the domain's when the site has none; `\"auto\"` asks the DCs which site the gateway's address belongs to (a CLDAP ping on UDP 389, as Windows does)"},
	{Key: "dns_server", Default: "the system's (`/etc/resolv.conf`)", Example: "`\"10.0.0.10:53\"`",
		Meaning: "with `domain`: the DNS server to ask, `host:port` (port 53 when omitted); each question is bounded by `dial_timeout`"},
	{Key: "start_tls", Default: "`false`", Example: "`true`",
		Meaning: "upgrade `ldap://` connections with StartTLS before anything else (an error with `ldaps://`)"},
	{Key: "tls_ca_file", Default: "system roots", Example: "`\"/etc/ssl/ldap-ca.pem\"`",
		Meaning: "PEM CA certificates that sign the directory's certificate; replaces the system roots"},
	{Key: "tls_ca_pem", Default: "none", Example: "`\"-----BEGIN CERTIFICATE-----\\n...\"`",
		Meaning: "the same, inline (combines with `tls_ca_file`)"},
	{Key: "tls_server_name", Default: "the URL's host", Example: "`\"ldap.example.org\"`",
		Meaning: "the name the certificate must carry"},
	{Key: "tls_insecure_skip_verify", Default: "`false`", Example: "`false`",
		Meaning: "accept any certificate (testing only)"},
	{Key: "tls_min_version", Default: "`\"1.2\"`", Example: "`\"1.3\"`",
		Meaning: "`\"1.0\"`, `\"1.1\"`, `\"1.2\"` or `\"1.3\"`"},
	{Key: "allow_plaintext", Default: "`false`", Example: "`true`",
		Meaning: "permit `ldap://` without StartTLS to a host that is not loopback: passwords cross the network in clear text"},
	{Key: "dial_timeout", Default: "`\"3s\"`", Example: "`\"1s\"`",
		Meaning: "bound on connecting: TCP, TLS, StartTLS and the service-account bind"},
	{Key: "request_timeout", Default: "`\"5s\"`", Example: "`\"2s\"`",
		Meaning: "bound on each LDAP operation; one check never takes longer than `dial_timeout` + `request_timeout`"},
	{Key: "pool_size", Default: "`8`", Example: "`16`",
		Meaning: "connections per server in each of two pools (service account, user binds), 1 to 1024"},
	{Key: "pool_idle_timeout", Default: "`\"4m\"`", Example: "`\"2m\"`",
		Meaning: "close connections idle this long (keep it below the server's own cut-off, 15 minutes on AD)"},
	// Finding and checking the user.
	{Key: "user_dn_template", Default: "none (search then bind)", Example: "`\"uid={username},ou=people,dc=example,dc=org\"`",
		Meaning: "direct bind as a DN (`{username}` DN-escaped), `{username}@corp.example.org` or `CORP\\{username}`; the last two refuse usernames holding `@ \\ / , ; + = \" < > # * ( )` or outer spaces"},
	{Key: "search_base_dn", Default: "none", Example: "`\"ou=people,dc=example,dc=org\"`",
		Meaning: "where users are searched; required for search then bind and for the `@` and `DOMAIN\\` templates"},
	{Key: "search_filter", Default: "`\"(uid={username})\"`", Example: "`\"(&(objectClass=user)(sAMAccountName={username}))\"`",
		Meaning: "must contain `{username}` (filter-escaped); exactly one entry must match; an error together with `user_dn_template`"},
	{Key: "search_scope", Default: "`\"sub\"`", Example: "`\"one\"`",
		Meaning: "`\"sub\"` (subtree) or `\"one\"` (one level)"},
	{Key: "bind_dn", Default: "none", Example: "`\"cn=ldap-reader,ou=services,dc=example,dc=org\"`",
		Meaning: "service account for searches; without it searches run anonymously (search then bind) or as the user who bound (direct bind)"},
	{Key: "bind_password", Default: "none", Example: "`\"env://LDAP_BIND_PASSWORD\"`",
		Meaning: "the service account's password (`env://`, `file://` or literal); required and non-empty with `bind_dn`, refused without it"},
	{Key: "username_attribute", Default: "`\"uid\"`", Example: "`\"sAMAccountName\"`",
		Meaning: "its value is the canonical username and must be single-valued; when users log in by another attribute it is checked to be unique, which needs `bind_dn` (except `sAMAccountName`, `userPrincipalName`)"},
	{Key: "attributes", Default: "`[]`", Example: "`[\"mail\", \"displayName\"]`",
		Meaning: "further attributes to read from the entry (those named by `attribute_headers` and `metadata_attributes` are read anyway)"},
	// The gateway side: responses, sessions, headers.
	{Key: "realm", Default: "`\"Restricted\"`", Example: "`\"Corporate LDAP\"`",
		Meaning: "realm of `WWW-Authenticate` (printable ASCII, no quotes or backslashes)"},
	{Key: "session_key_secret", Default: "random per process", Example: "`\"file:///run/secrets/ldap-session-key\"`",
		Meaning: "keys the session ID, at least 16 characters; set the same value on every node ([docs/sessions.md](docs/sessions.md))"},
	{Key: "session_lifetime", Default: "`\"1h\"`", Example: "`\"24h\"`",
		Meaning: "how long Tyk keeps the session in Redis ([docs/session-lifetime.md](docs/session-lifetime.md))"},
	{Key: "policies", Default: "`[]`", Example: "`[\"ldap-users\"]`",
		Meaning: "Tyk policy IDs applied to every user of this API"},
	{Key: "hide_credentials", Default: "`true`", Example: "`false`",
		Meaning: "remove `Authorization` before the upstream sees it"},
	{Key: "user_header", Default: "`\"X-Authenticated-User\"`", Example: "`\"X-Remote-User\"`",
		Meaning: "header carrying the canonical username upstream; `\"\"` sends none, and a client's `X-Authenticated-User` is still removed"},
	// Caching.
	{Key: "cache_ttl", Default: "`\"5m\"`", Example: "`\"0\"`",
		Meaning: "how long a successful check is reused without asking the directory; `\"0\"` turns the cache off"},
	{Key: "negative_cache_ttl", Default: "`\"0\"`", Example: "`\"10s\"`",
		Meaning: "how long a rejected username and password pair is answered 401 without asking the directory"},
	{Key: "cache_max_entries", Default: "`10000`", Example: "`50000`",
		Meaning: "bound on the successes and, separately, on the rejections kept"},
	{Key: "stale_if_error", Default: "`\"0\"`", Example: "`\"10m\"`",
		Meaning: "while no directory server can be reached, serve a cached success this long past `cache_ttl` (needs `cache_ttl`)"},
	{Key: "revocation_watch", Default: "`\"auto\"`", Example: "`\"off\"`",
		Meaning: "with `bind_dn` set, watch the directory and drop cached decisions within about two seconds of a password change, lock, delete or membership change: `\"auto\"` (content synchronisation where offered, else polling), `\"poll\"`, or `\"off\"` ([docs/revocation.md](docs/revocation.md))"},
	{Key: "revocation_poll_interval", Default: "`\"1s\"`", Example: "`\"2s\"`",
		Meaning: "how often a polling watch looks for changes (100 ms to 1 h)"},
	// Groups and access rules.
	{Key: "group_source", Default: "chosen", Example: "`\"search\"`",
		Meaning: "`\"search\"` or `\"memberof\"`; unset and groups needed: `search` with `group_base_dn`, else `memberof`"},
	{Key: "group_base_dn", Default: "none", Example: "`\"ou=groups,dc=example,dc=org\"`",
		Meaning: "where groups live: searched with `search`; with `memberof` only values under it count"},
	{Key: "group_filter", Default: "`\"(\\|(member={dn})(uniqueMember={dn})(memberUid={username}))\"`", Example: "`\"(member={dn})\"`",
		Meaning: "finds a user's groups; must contain `{dn}` or `{username}` (both filter-escaped)"},
	{Key: "group_name_attribute", Default: "`\"cn\"`", Example: "`\"cn\"`",
		Meaning: "the group attribute used as its name with `search` (`memberof` names a group by its DN's first value)"},
	{Key: "nested_groups", Default: "`false`", Example: "`true`",
		Meaning: "include groups of groups (in-chain rule on AD with `search`; else level by level, 10 levels)"},
	{Key: "required_groups", Default: "`[]`", Example: "`[\"developers\"]`",
		Meaning: "access for members of any of these (names need `group_base_dn`; DNs must be under it when it is set)"},
	{Key: "allowed_users", Default: "`[]`", Example: "`[\"alice\", \"bob\"]`",
		Meaning: "canonical usernames allowed whatever their groups (combined with `required_groups` by OR)"},
	{Key: "group_policies", Default: "`{}`", Example: "`{\"admins\": [\"ldap-admins\"]}`",
		Meaning: "group name or DN to Tyk policy IDs added for its members"},
	{Key: "groups_header", Default: "`\"\"`", Example: "`\"X-Authenticated-Groups\"`",
		Meaning: "header carrying the user's groups upstream, comma-separated: names with `group_base_dn`, else DNs"},
	{Key: "attribute_headers", Default: "`{}`", Example: "`{\"mail\": \"X-Authenticated-Email\"}`",
		Meaning: "LDAP attribute to the upstream header carrying it"},
	{Key: "metadata_attributes", Default: "`[]`", Example: "`[\"mail\"]`",
		Meaning: "attributes copied into the session's metadata as `ldap_<attribute>`"},
	// Brute-force protection, the fleet, the audit trail.
	{Key: "max_failures", Default: "`0` (off)", Example: "`5`",
		Meaning: "wrong passwords per account within `failure_window` before further attempts get 429 without reaching the directory"},
	{Key: "failure_window", Default: "`\"15m\"`", Example: "`\"5m\"`",
		Meaning: "how long failures count, and how long a lock lasts (also a lock the directory reports)"},
	{Key: "max_failures_per_client", Default: "`0` (off)", Example: "`20`",
		Meaning: "wrong passwords from one client address, across all usernames, within `client_failure_window` before that client gets 429"},
	{Key: "client_failure_window", Default: "`\"15m\"`", Example: "`\"10m\"`",
		Meaning: "the same for `max_failures_per_client`"},
	{Key: "trusted_proxies", Default: "`[]` (none)", Example: "`[\"10.0.0.0/8\"]`",
		Meaning: "addresses or CIDR networks of the proxies in front of the gateway; only a request whose TCP peer is in them has its client read from `trusted_proxy_header`, else the TCP peer is the client (see [docs/fleet.md](docs/fleet.md#per-client-limits))"},
	{Key: "trusted_proxy_header", Default: "`\"X-Forwarded-For\"`", Example: "`\"X-Real-IP\"`",
		Meaning: "the header a trusted proxy names the client in; read from the right, past trusted proxies"},
	{Key: "client_ipv6_prefix", Default: "`64`", Example: "`56`",
		Meaning: "leading bits of an IPv6 client address counted as one client by `max_failures_per_client` (16 to 128)"},
	{Key: "shared_state", Default: "`\"local\"`", Example: "`\"redis\"`",
		Meaning: "where failure counts live: this gateway process, or the Redis every node shares ([docs/fleet.md](docs/fleet.md))"},
	{Key: "redis_url", Default: "the gateway's Redis", Example: "`\"env://LDAP_REDIS_URL\"`",
		Meaning: "with `shared_state: \"redis\"`, this Redis instead of `tyk.conf` `storage`: `redis[s]://[user:password@]host:port[/db]`, or `env://`, `file://` holding one"},
	{Key: "redis_timeout", Default: "`\"250ms\"`", Example: "`\"100ms\"`",
		Meaning: "bound on each Redis call (1 ms to 10 s)"},
	{Key: "audit_log", Default: "`true`", Example: "`false`",
		Meaning: "one info line per denied request and per lock and unlock"},
	{Key: "trace_usernames", Default: "`false`", Example: "`true`",
		Meaning: "put the username (`enduser.id`) on the plugin's OpenTelemetry spans; off, traces never name a user ([docs/observability.md](docs/observability.md))"},
}

// configKeys lists every key config_data may hold. Anything else is refused.
var configKeys = fieldKeys(configFields)

func fieldKeys(fields []ConfigField) []string {
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.Key
	}
	return keys
}

// ConfigKeys returns every configuration key the plugin understands.
func ConfigKeys() []string { return slices.Clone(configKeys) }

// ConfigFields returns the declaration of every configuration key.
func ConfigFields() []ConfigField { return slices.Clone(configFields) }
