package ldapauth

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	gocache "github.com/patrickmn/go-cache"
	"go.opentelemetry.io/otel/trace"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/internal/logx"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/state"
)

// APIInfo identifies the API a Gate serves.
type APIInfo struct {
	ID    string
	OrgID string
	Name  string
	// Versions are the API's version names, granted in the session's access
	// rights (Tyk checks them on versioned APIs).
	Versions []string
}

func (a APIInfo) equal(b APIInfo) bool {
	return a.ID == b.ID && a.OrgID == b.OrgID && a.Name == b.Name && slices.Equal(a.Versions, b.Versions)
}

// Authenticator is what a Gate needs from the directory.
type Authenticator interface {
	Authenticate(ctx context.Context, username, password string, guard directory.BindGuard) (*directory.Identity, error)
	Close()
}

// Gate decides requests for one API: credentials in, Result out. It owns
// the API's directory connections, decision cache and in-flight merging,
// and it never touches Tyk types, so everything it does is tested without
// a gateway.
type Gate struct {
	api      APIInfo
	cfg      *Config
	dir      Authenticator
	cache    *state.Cache[*Grant]
	flights  state.Flight[decision]
	accounts state.Attempts     // password attempts per account
	clients  state.Attempts     // per client address; nil when max_failures_per_client is 0
	clientOf clientAddressRule  // who sent a request (trusted_proxies)
	audit    *slog.Logger       // nil when audit_log is off
	locks    *lockMemory        // locks this gate saw, to log when they end
	release  func()             // gives shared resources back
	watcher  *directory.Watcher // evicts decisions on directory changes; nil when unwatched
	rules    accessRules
	policies policyMapper
	keys     sessionKeys
	log      *slog.Logger
	// persisted remembers, per session KeyID, what was last written to
	// Redis (see persistState).
	persisted *gocache.Cache
	scratch   sync.Pool // *scratch

	challenge    []string // the WWW-Authenticate value
	identity     []string // canonical names of the headers the plugin sets
	randomSecret bool     // session_key_secret was not configured
	tel          telemetry
}

// scratch is per-request working memory, pooled so the hot path does not
// allocate: the decoded credentials and their MAC.
type scratch struct {
	creds  CredentialsBuffer
	hasher *state.Hasher
	mac    state.MAC
}

// Result is the decision for one request.
type Result struct {
	Outcome Outcome
	// Grant is set when Outcome is OutcomeGranted.
	Grant *Grant
	// Persist asks the gateway to write the session to Redis.
	Persist bool
	// RetryAfter is set for OutcomeThrottled and OutcomeBusy.
	RetryAfter time.Duration

	credErr error
}

// GateOptions are what a Gate takes besides its API and configuration.
type GateOptions struct {
	// Logger receives the gate's lines; they carry api_id and api_name.
	Logger *slog.Logger
	// Accounts bounds password attempts per account; nil makes a private
	// in-process counter from max_failures and failure_window.
	Accounts state.Attempts
	// Clients bounds wrong passwords per client address; nil makes a
	// private in-process counter when max_failures_per_client is set.
	Clients state.Attempts
	// Release is called when the gate closes, to give shared resources back.
	Release func()
	// Directory replaces the LDAP client (tests inject failures with it).
	Directory Authenticator
}

// NewGate builds the gate for one API. It does no network I/O.
func NewGate(api APIInfo, cfg *Config, opts GateOptions) (*Gate, error) {
	log := opts.Logger
	if log == nil {
		log = logx.Discard()
	}
	log = log.With("api_id", api.ID, "api_name", api.Name)
	g := &Gate{
		api:       api,
		cfg:       cfg,
		dir:       opts.Directory,
		rules:     newAccessRules(cfg),
		policies:  newPolicyMapper(cfg),
		log:       log,
		persisted: gocache.New(gocache.NoExpiration, 0),
		challenge: []string{`Basic realm="` + cfg.Realm + `", charset="UTF-8"`},
		release:   opts.Release,
	}
	if g.dir == nil {
		dopts := cfg.Directory
		dopts.Logger = log
		dir, err := directory.New(dopts)
		if err != nil {
			return nil, err
		}
		g.dir = dir
	}
	g.cache = state.NewCache[*Grant](state.CacheOptions{
		TTL: cfg.CacheTTL, NegativeTTL: cfg.NegativeCacheTTL, StaleFor: cfg.StaleIfError,
		MaxEntries: cfg.CacheMaxEntries, Salt: cfg.Fingerprint[:], Logger: log,
	})
	g.scratch.New = func() any { return &scratch{hasher: g.cache.Hasher()} }
	g.accounts, g.clients, g.clientOf = opts.Accounts, opts.Clients, newClientAddressRule(cfg)
	if g.accounts == nil {
		g.accounts = state.NewLocalAttempts(accountLimits(cfg), 0)
	}
	if g.clients == nil && cfg.MaxFailuresPerClient > 0 {
		g.clients = state.NewLocalAttempts(clientLimits(cfg), 0)
	}
	if cfg.AuditLog {
		g.audit = log.With("audit", true)
	}
	g.locks = newLockMemory(cfg.CacheMaxEntries)
	secret := []byte(cfg.SessionKeySecret.Reveal())
	if len(secret) == 0 {
		// Without a configured secret the session IDs are still unguessable,
		// but differ per gateway process: each node (and each restart) keeps
		// its own rate-limit and quota counters for a user.
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
		g.randomSecret = true
	}
	g.keys = sessionKeys{secret: secret, apiID: api.ID}
	g.identity = identityHeaderNames(cfg)
	g.tel = newTelemetry(api, cfg)
	return g, nil
}

// identityHeaderNames lists the headers the plugin sets upstream. The
// default user header is always among them: a client's copy must never
// reach an upstream that trusts it, even when user_header is "".
func identityHeaderNames(cfg *Config) []string {
	names := []string{http.CanonicalHeaderKey(DefaultUserHeader)}
	for _, h := range append([]string{cfg.UserHeader, cfg.GroupsHeader}, attributeHeaderNames(cfg)...) {
		if h != "" && !slices.Contains(names, http.CanonicalHeaderKey(h)) {
			names = append(names, http.CanonicalHeaderKey(h))
		}
	}
	return names
}

func attributeHeaderNames(cfg *Config) []string {
	out := make([]string, 0, len(cfg.AttributeHeaders))
	for _, h := range cfg.AttributeHeaders {
		out = append(out, h)
	}
	slices.Sort(out)
	return out
}

// API returns the API the gate serves.
func (g *Gate) API() APIInfo { return g.api }

// Config returns the gate's configuration.
func (g *Gate) Config() *Config { return g.cfg }

// RandomSessionSecret reports whether session IDs use a per-process secret.
func (g *Gate) RandomSessionSecret() bool { return g.randomSecret }

// Close releases the directory connections. Requests still in flight
// finish first; their connections close when returned.
func (g *Gate) Close() {
	g.dir.Close()
	if g.release != nil {
		g.release()
	}
}

// Check decides r. It removes client-supplied copies of the identity
// headers first, on every path, so nothing the client sent under those
// names can reach the upstream. A cache hit does no I/O and takes no lock
// other than the cache's read lock.
func (g *Gate) Check(r *http.Request) Result {
	removeIdentityHeaders(r.Header, g.identity)
	s := g.scratch.Get().(*scratch)
	defer g.scratch.Put(s)

	user, pass, err := BasicFromRequest(r, &s.creds)
	if err != nil {
		res := Result{Outcome: OutcomeUnauthorized, credErr: err}
		g.conclude(r, "", res, "none", 0, err.Error())
		return res
	}
	s.hasher.Sum(user, pass, &s.mac)
	now := time.Now()
	if grant, ok := g.cache.Fresh(&s.mac, now); ok {
		res := g.granted(grant, now)
		g.conclude(r, grant.Identity.Username, res, "hit", 0, "")
		return res
	}
	if g.cache.Rejected(&s.mac) {
		res := Result{Outcome: OutcomeUnauthorized}
		g.conclude(r, string(user), res, "negative-hit", 0, "recently rejected credentials")
		return res
	}

	// Cache miss: from here on allocations are fine, the directory round
	// trip dominates. The authentication gets a span of its own; r carries
	// it from here on.
	r, span := g.startSpan(r)
	defer span.End()
	username, password, mac := string(user), string(pass), s.mac
	client := g.clientOf.of(r)
	if g.clients != nil {
		if left := g.clients.LockedFor(r.Context(), client.key); left > 0 {
			res := Result{Outcome: OutcomeThrottled, RetryAfter: left}
			g.conclude(r, username, res, "miss", 0, "max_failures_per_client reached for this client")
			return res
		}
	}
	d, shared, err := g.flights.Do(r.Context(), string(mac[:]), func() decision {
		// A check for the same credentials may have finished between the
		// cache lookup above and this flight: its answer is in the cache.
		if grant, ok := g.cache.Recheck(&mac, time.Now()); ok {
			return decision{outcome: grantOutcome(grant), grant: grant, username: grant.Identity.Username}
		}
		// The check serves every request waiting on it, so a client that
		// goes away must not cancel it; it stays in this request's trace.
		d := g.decide(context.WithoutCancel(r.Context()), username, password, mac, client)
		d.leader = span.SpanContext()
		return d
	})
	if err != nil {
		outcome := OutcomeUnavailable
		if errors.Is(err, state.ErrAbandoned) {
			outcome = OutcomeMisconfigured
		}
		res := Result{Outcome: outcome}
		g.conclude(r, username, res, "merged", 0, err.Error())
		return res
	}
	cacheState := "miss"
	if shared {
		cacheState = "merged"
		joined(r.Context(), d.leader)
	}
	res := Result{Outcome: d.outcome, RetryAfter: d.retryAfter}
	if d.outcome == OutcomeGranted || d.outcome == OutcomeForbidden {
		res = g.granted(d.grant, time.Now())
	}
	g.conclude(r, d.username, res, cacheState, d.ldap, d.reason, slog.String("server", d.server))
	return res
}

// conclude logs a decision: a debug line for every request, and an audit
// line for every denial.
// extra are further attributes of both lines (the directory server that
// answered); those with an empty value are left out.
func (g *Gate) conclude(r *http.Request, user string, res Result, cacheState string, ldapTime time.Duration, reason string, extra ...slog.Attr) {
	ctx := r.Context()
	g.observe(ctx, user, res, cacheState, reason)
	extra = slices.DeleteFunc(extra, func(a slog.Attr) bool { return a.Value.String() == "" })
	if g.log.Enabled(ctx, slog.LevelDebug) {
		g.log.LogAttrs(ctx, slog.LevelDebug, "decision", append([]slog.Attr{
			slog.String("user", truncate(user)), slog.String("outcome", res.Outcome.String()), slog.String("cache", cacheState),
			slog.Float64("ldap_ms", float64(ldapTime.Microseconds())/1000), slog.String("reason", reason)}, extra...)...)
	}
	if g.audit == nil || res.Outcome == OutcomeGranted {
		return
	}
	if reason == "" && res.Outcome == OutcomeForbidden {
		reason = "not in allowed_users or required_groups"
	}
	g.audit.LogAttrs(ctx, slog.LevelInfo, "request denied", append([]slog.Attr{
		slog.String("event", "denied"), slog.String("user", truncate(user)), slog.String("client_ip", g.clientOf.of(r).ip),
		slog.String("outcome", res.Outcome.String()), slog.Int("status", res.Outcome.Status()), slog.String("reason", reason)}, extra...)...)
}

func grantOutcome(gr *Grant) Outcome {
	if gr.Allowed {
		return OutcomeGranted
	}
	return OutcomeForbidden
}

func (g *Gate) granted(gr *Grant, now time.Time) Result {
	if !gr.Allowed {
		return Result{Outcome: OutcomeForbidden}
	}
	return Result{Outcome: OutcomeGranted, Grant: gr, Persist: gr.persisted.shouldPersist(now, g.cfg.SessionLifetime)}
}

// decision is the shared result of one directory check.
type decision struct {
	outcome    Outcome
	grant      *Grant
	reason     string // for the log only
	username   string // canonical when known, else as typed
	retryAfter time.Duration
	ldap       time.Duration
	server     string            // the directory server that answered, when one did
	leader     trace.SpanContext // the span of the request that ran the check
}

// busyRetryAfter is the Retry-After of OutcomeBusy: pool slots free up
// within one request timeout, usually far sooner.
const busyRetryAfter = time.Second

// decide asks the directory. It runs once per set of concurrent identical
// requests; ctx carries the first request's trace but not its
// cancellation, because its answer serves every waiting request, and the
// directory bounds it by its timeouts.
func (g *Gate) decide(ctx context.Context, username, password string, mac state.MAC, client clientAddress) decision {
	start := time.Now()
	// An eviction between here and the store means the answer may predate
	// a change: it is returned but not cached.
	gen := g.cache.Generation()
	id, err := g.dir.Authenticate(ctx, username, password, g.guardFor(client))
	d := decision{username: username, ldap: time.Since(start)}
	if err == nil {
		d.server = id.Server
		grant := g.newGrant(id)
		g.store(gen, mac, id, grant)
		d.grant, d.username, d.outcome = grant, id.Username, grantOutcome(grant)
		if !grant.Allowed {
			d.reason = "not in allowed_users or required_groups"
		}
		return d
	}
	d.reason = err.Error()
	de, _ := directory.AsError(err)
	if de != nil && de.User != "" {
		d.username = de.User
	}
	if de != nil {
		d.server = de.Server
	}
	var locked *state.LockedError
	switch directory.KindOf(err) {
	case directory.KindInvalidCredentials:
		d.outcome = OutcomeUnauthorized
		d.reason = "invalid credentials"
		if de.AccountState != "" {
			d.reason += ": " + de.AccountState
		}
		g.log.Debug("the directory refused the credentials", "user", truncate(d.username), "error", err.Error())
		g.cache.StoreRejectionSince(gen, mac)
	case directory.KindRefused:
		if errors.Is(err, state.ErrBusy) {
			// This node's Redis connections are all in use: saturation,
			// not a verdict on the account.
			d.outcome, d.retryAfter = OutcomeBusy, busyRetryAfter
			break
		}
		d.outcome = OutcomeThrottled
		d.retryAfter = busyRetryAfter
		if errors.As(err, &locked) {
			d.retryAfter = locked.RetryAfter
		}
		d.reason = "max_failures reached for this account"
		if errors.Is(err, errClientLimited) {
			d.reason = "max_failures_per_client reached for this client"
		}
	case directory.KindBusy:
		d.outcome, d.retryAfter = OutcomeBusy, busyRetryAfter
	case directory.KindUnavailable:
		d.outcome = OutcomeUnavailable
		if grant, ok := g.cache.Stale(&mac); ok {
			g.log.Warn("directory unavailable, serving a cached decision (stale_if_error)", "user", truncate(grant.Identity.Username), "error", err.Error())
			d.grant, d.username, d.outcome = grant, grant.Identity.Username, grantOutcome(grant)
			d.reason = "served stale: " + d.reason
		}
	default:
		d.outcome = OutcomeMisconfigured
		g.log.Error("the directory check failed in a way only the configuration or directory data explains", "error", err.Error())
	}
	return d
}

// store caches a success, indexed by what it depended on when a watch
// may evict it.
func (g *Gate) store(gen state.Generation, mac state.MAC, id *directory.Identity, grant *Grant) {
	if g.watcher == nil {
		g.cache.StoreWatched(gen, mac, id.ID, nil, grant, time.Now())
		return
	}
	if g.cache.StoreWatched(gen, mac, id.ID, directory.DependencyKeys(id), grant, time.Now()) {
		g.watcher.Wake()
	}
}

// Forward prepares a granted request for the upstream: removes the
// credentials when hide_credentials is on, sets the identity headers, and
// keeps a client's Connection header from naming them (a proxy deletes the
// headers Connection lists, which would delete the identity on its way
// upstream).
func (g *Gate) Forward(r *http.Request, gr *Grant) {
	if g.cfg.HideCredentials {
		delete(r.Header, "Authorization")
	}
	for _, h := range gr.headers {
		r.Header[h.name] = h.value
	}
	if _, listed := r.Header["Connection"]; listed {
		dropConnectionTokens(r.Header, append(g.identity, "Authorization"))
	}
}
