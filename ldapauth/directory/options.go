package directory

import (
	"crypto/x509"
	"log/slog"
	"strings"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/internal/logx"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/secret"
)

// Options configures a Directory. Callers build it from their own
// configuration format; New checks only what would make the Directory
// unusable.
type Options struct {
	// Servers are tried in this order; a server that cannot be reached is
	// skipped for a growing backoff while the next one serves.
	Servers []Server
	// Discovery, instead of Servers, finds the servers through DNS SRV
	// records and keeps the list fresh. Without StartTLS they are reached
	// over LDAPS on port 636; with StartTLS on the port the record gives.
	// Certificates are checked against each record's target name unless
	// TLS.ServerName is set.
	Discovery *DiscoveryOptions
	// StartTLS upgrades ldap:// connections with the StartTLS operation
	// before anything else is sent.
	StartTLS bool
	// TLS verifies the servers' certificates (ldaps:// and StartTLS).
	TLS TLSOptions

	// DialTimeout bounds connecting, the TLS handshake, StartTLS and the
	// service-account bind of a new connection.
	DialTimeout time.Duration
	// RequestTimeout bounds each LDAP operation. One Authenticate call never
	// takes longer than DialTimeout + RequestTimeout in total.
	RequestTimeout time.Duration
	// PoolSize is the number of connections kept per server and purpose.
	PoolSize int
	// PoolIdleTimeout closes connections unused for that long; keep it below
	// the server's own idle cut-off (15 minutes on Active Directory).
	PoolIdleTimeout time.Duration

	// BindTemplate selects direct bind when set: the user binds as the name
	// it yields. When zero, users are found by search-then-bind.
	BindTemplate BindTemplate
	// SearchBaseDN is where users are searched (search-then-bind), and where
	// a direct-bind user's own entry is looked up when the bind name is not
	// a DN.
	SearchBaseDN string
	// SearchFilter finds the user's entry; its {username} is filter-escaped.
	SearchFilter Template
	// SearchScope is ScopeSubtree or ScopeOneLevel.
	SearchScope Scope
	// BindDN and BindPassword are the service account used for searches.
	// Empty: searches run anonymously (search-then-bind) or as the user who
	// just bound (direct bind).
	BindDN       string
	BindPassword secret.Value

	// UsernameAttribute holds the canonical username on the user's entry. It
	// must have exactly one value, and no other entry the user could log in
	// as may hold the same value.
	UsernameAttribute string
	// Attributes are further attributes read from the user's entry.
	Attributes []string

	// Groups says where the user's groups come from; zero reads none.
	Groups GroupOptions

	// EqualizeTiming makes a search-then-bind for an unknown user send a bind
	// for a name that cannot exist, so an unknown user and a known user with a
	// wrong password cost the same round trips and cannot be told apart by
	// response time.
	EqualizeTiming bool

	// Logger receives the package's log lines (server failover, broken
	// connections). Nil discards them.
	Logger *slog.Logger
}

// TLSOptions is how servers are verified.
type TLSOptions struct {
	// RootCAs verifies server certificates; nil means the system roots.
	RootCAs *x509.CertPool
	// ServerName is the name certificates must carry; empty means each
	// server's host from its URL.
	ServerName string
	// InsecureSkipVerify accepts any certificate. For tests only.
	InsecureSkipVerify bool
	// MinVersion is the lowest TLS version accepted (tls.VersionTLS12 when 0).
	MinVersion uint16
}

// GroupOptions says how a user's groups are found.
type GroupOptions struct {
	// Source is GroupsFromSearch, GroupsFromMemberOf, or empty for none.
	Source GroupSource
	// BaseDN is where groups live. With GroupsFromSearch it is searched; with
	// GroupsFromMemberOf only memberOf values under it count. Empty with
	// GroupsFromMemberOf: every memberOf value counts.
	BaseDN string
	// Filter finds the groups a user is a direct member of; {dn} and
	// {username} are filter-escaped. It must use at least one of them.
	Filter Template
	// NameAttribute is the group attribute used as the group's name.
	NameAttribute string
	// Nested follows groups that are members of groups.
	Nested bool
}

// GroupSource is where group membership is read from.
type GroupSource string

const (
	// GroupsFromSearch searches BaseDN with Filter.
	GroupsFromSearch GroupSource = "search"
	// GroupsFromMemberOf reads the memberOf values of the user's entry.
	GroupsFromMemberOf GroupSource = "memberof"
)

// Scope is an LDAP search scope for user searches.
type Scope int

const (
	// ScopeSubtree searches the base and everything below it.
	ScopeSubtree Scope = iota
	// ScopeOneLevel searches the base's immediate children only.
	ScopeOneLevel
)

// Defaults for options left zero.
const (
	DefaultDialTimeout     = 3 * time.Second
	DefaultRequestTimeout  = 5 * time.Second
	DefaultPoolSize        = 8
	DefaultPoolIdleTimeout = 4 * time.Minute
)

func (o *Options) withDefaults() {
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.PoolSize <= 0 {
		o.PoolSize = DefaultPoolSize
	}
	if o.PoolIdleTimeout <= 0 {
		o.PoolIdleTimeout = DefaultPoolIdleTimeout
	}
	if o.Logger == nil {
		o.Logger = logx.Discard()
	}
}

// LoginAttribute is the attribute the typed username is matched on, when
// the bind template or search filter says so unambiguously ("uid" for
// (uid={username}) or uid={username},...), else "". When it differs from
// UsernameAttribute, every login searches for other entries holding the
// same canonical username.
func (o *Options) LoginAttribute() string {
	if !o.BindTemplate.IsZero() {
		return o.BindTemplate.loginAttr
	}
	attr, _ := o.SearchFilter.soleEquality("username")
	return attr
}

// DirectoryUnique reports attributes Active Directory itself keeps unique,
// which need no uniqueness search there.
func DirectoryUnique(attr string) bool {
	return strings.EqualFold(attr, "sAMAccountName") || strings.EqualFold(attr, "userPrincipalName")
}
