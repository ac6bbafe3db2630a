package ldapauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"net/http"
	"sort"
	"strings"
	"time"

	gocache "github.com/patrickmn/go-cache"
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
	if a.ID != b.ID || a.OrgID != b.OrgID || a.Name != b.Name || len(a.Versions) != len(b.Versions) {
		return false
	}
	for i := range a.Versions {
		if a.Versions[i] != b.Versions[i] {
			return false
		}
	}
	return true
}

// Gate decides requests for one API: credentials in, Result out. It owns
// the API's directory pools, decision cache, in-flight merging and failure
// tracking, and it never touches Tyk types, so everything it does is tested
// without a gateway.
type Gate struct {
	api      APIInfo
	cfg      *Config
	dir      *Directory
	cache    *decisionCache
	flights  flightGroup
	lockout  *failureTracker // nil when max_failures is 0
	rules    accessRules
	policies policyMapper
	keys     sessionKeys
	log      Logger
	// persisted remembers, per session KeyID, what was last written to
	// Redis (see persistState).
	persisted *gocache.Cache

	challenge    []string // the WWW-Authenticate value
	spoofable    []string // identity headers a client must not set
	randomSecret bool     // session_key_secret was not configured
}

// Result is the decision for one request.
type Result struct {
	Outcome Outcome
	// Grant is set when Outcome is OutcomeGranted.
	Grant *Grant
	// Persist asks the gateway to write the session to Redis.
	Persist bool
	// RetryAfter is set for OutcomeThrottled.
	RetryAfter time.Duration

	credErr error
}

// NewGate builds the gate for one API. It does no network I/O.
func NewGate(api APIInfo, cfg *Config, log Logger) *Gate {
	if log == nil {
		log = NopLogger{}
	}
	g := &Gate{
		api:       api,
		cfg:       cfg,
		dir:       NewDirectory(cfg, log),
		cache:     newDecisionCache(cfg),
		rules:     newAccessRules(cfg),
		policies:  newPolicyMapper(cfg),
		log:       log,
		persisted: gocache.New(gocache.NoExpiration, 0),
		challenge: []string{`Basic realm="` + cfg.Realm + `", charset="UTF-8"`},
	}
	if cfg.MaxFailures > 0 {
		g.lockout = newFailureTracker(cfg.MaxFailures, cfg.FailureWindow)
	}
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
	for _, h := range append([]string{cfg.UserHeader, cfg.GroupsHeader}, sortedValues(cfg.AttributeHeaders)...) {
		if h != "" {
			g.spoofable = append(g.spoofable, http.CanonicalHeaderKey(h))
		}
	}
	return g
}

// API returns the API the gate serves.
func (g *Gate) API() APIInfo { return g.api }

// Config returns the gate's configuration.
func (g *Gate) Config() *Config { return g.cfg }

// RandomSessionSecret reports whether session IDs use a per-process secret.
func (g *Gate) RandomSessionSecret() bool { return g.randomSecret }

// Close releases the directory connections. Requests still in flight finish
// first; their connections close when returned.
func (g *Gate) Close() { g.dir.Close() }

// Check decides r. It removes client-supplied copies of the identity
// headers first, on every path, so nothing the client sent under those names
// can reach the upstream. A cache hit does no I/O and takes no lock other
// than the cache's read lock.
func (g *Gate) Check(r *http.Request) Result {
	g.removeSpoofedHeaders(r.Header)
	s := g.cache.getScratch()
	defer g.cache.putScratch(s)

	user, pass, err := BasicFromRequest(r, &s.creds)
	if err != nil {
		g.logDecision("", OutcomeUnauthorized, "none", 0, err.Error())
		return Result{Outcome: OutcomeUnauthorized, credErr: err}
	}
	g.cache.computeKey(s, user, pass)
	now := time.Now()
	if grant := g.cache.fresh(s.lookupKey(), &s.sum, now); grant != nil {
		g.logDecision(grant.Identity.Username, grantOutcome(grant), "hit", 0, "")
		return g.granted(grant, now)
	}
	if g.cache.rejected(s.lookupKey()) {
		g.logDecision(string(user), OutcomeUnauthorized, "negative-hit", 0, "recently rejected credentials")
		return Result{Outcome: OutcomeUnauthorized}
	}

	// Cache miss: from here on allocations are fine, the directory round
	// trip dominates.
	username, password := string(user), string(pass)
	mac := s.sum
	typedKey := lockoutKey(username)
	if g.lockout != nil {
		if left := g.lockout.lockedFor(typedKey); left > 0 {
			g.logDecision(username, OutcomeThrottled, "miss", 0, "too many failures")
			return Result{Outcome: OutcomeThrottled, RetryAfter: left}
		}
	}
	d, shared := g.flights.do(r.Context(), string(mac[:]), func() decision {
		return g.decide(username, password, typedKey, mac)
	})
	cacheState := "miss"
	if shared {
		cacheState = "merged"
	}
	g.logDecision(d.username, d.outcome, cacheState, d.ldap, d.reason)
	if d.outcome == OutcomeGranted || d.outcome == OutcomeForbidden {
		return g.granted(d.grant, time.Now())
	}
	return Result{Outcome: d.outcome, RetryAfter: d.retryAfter}
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
}

// decide asks the directory. It runs once per set of concurrent identical
// requests; its context is not the request's, because its answer serves
// every waiting request, and the directory bounds it by its timeouts.
func (g *Gate) decide(username, password, typedKey string, mac [sha256.Size]byte) decision {
	start := time.Now()
	id, err := g.dir.authenticate(context.Background(), username, password, g.bindGuard(typedKey))
	d := decision{username: username, ldap: time.Since(start)}
	switch KindOf(err) {
	case 0:
		grant := g.newGrant(id)
		g.cache.storeGrant(mac, grant, time.Now())
		if g.lockout != nil {
			g.lockout.succeed(typedKey, lockoutKey(id.Username))
		}
		d.grant, d.username, d.outcome = grant, id.Username, grantOutcome(grant)
		if !grant.Allowed {
			d.reason = "not in allowed_users or required_groups"
		}
	case KindInvalidCredentials:
		d.outcome, d.reason = OutcomeUnauthorized, err.Error()
		canonical := authErrorUser(err)
		if canonical != "" {
			d.username = canonical
		}
		g.cache.storeRejection(mac)
		if g.lockout != nil && g.lockout.fail(typedKey, lockoutKey(canonical)) {
			g.log.Warnf("ldapauth: API %s: user %q reached max_failures; further attempts are refused for %v",
				g.api.ID, d.username, g.cfg.FailureWindow)
		}
	case KindThrottled:
		d.outcome, d.reason = OutcomeThrottled, err.Error()
		d.retryAfter = throttledFor(err)
	case KindUnavailable:
		d.outcome, d.reason = OutcomeUnavailable, err.Error()
		if grant := g.cache.stale(string(mac[:]), &mac); grant != nil {
			g.log.Warnf("ldapauth: API %s: directory unavailable, serving cached decision for %q (stale_if_error): %v",
				g.api.ID, grant.Identity.Username, err)
			d.grant, d.username, d.outcome = grant, grant.Identity.Username, grantOutcome(grant)
			d.reason = "served stale: " + d.reason
		}
	default:
		d.outcome, d.reason = OutcomeMisconfigured, err.Error()
		g.log.Errorf("ldapauth: API %s: %v", g.api.ID, err)
	}
	return d
}

// bindGuard refuses the user bind for a user who is locked out under their
// canonical name, whatever spelling they typed this time.
func (g *Gate) bindGuard(typedKey string) func(canonical string) error {
	if g.lockout == nil {
		return nil
	}
	return func(canonical string) error {
		if left := g.lockout.lockedFor(lockoutKey(canonical)); left > 0 {
			g.lockout.lockAlias(typedKey, left)
			return &AuthError{Kind: KindThrottled, Reason: "too many failures for " + canonical, User: canonical, retryAfter: left}
		}
		return nil
	}
}

// removeSpoofedHeaders deletes every client-sent copy of the identity
// headers: the canonical name, and any spelling that differs only in case or
// in '_' for '-' (Go does not canonicalise names with underscores, and
// CGI-style upstreams such as PHP-FPM, WSGI and Rack read X_Authenticated_User
// and X-Authenticated-User as the same variable).
func (g *Gate) removeSpoofedHeaders(h http.Header) {
	for _, name := range g.spoofable {
		delete(h, name)
	}
	for key := range h {
		if strings.IndexByte(key, '_') < 0 {
			continue // every other spelling was canonicalised by net/http
		}
		for _, name := range g.spoofable {
			if sameHeaderName(key, name) {
				delete(h, key)
				break
			}
		}
	}
}

// sameHeaderName compares header names ignoring ASCII case and treating
// '_' and '-' as equal.
func sameHeaderName(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if foldHeaderByte(a[i]) != foldHeaderByte(b[i]) {
			return false
		}
	}
	return true
}

func foldHeaderByte(c byte) byte {
	switch {
	case 'A' <= c && c <= 'Z':
		return c + 'a' - 'A'
	case c == '_':
		return '-'
	}
	return c
}

// Forward prepares a granted request for the upstream: removes the
// credentials when hide_credentials is on and sets the identity headers.
func (g *Gate) Forward(r *http.Request, gr *Grant) {
	if g.cfg.HideCredentials {
		delete(r.Header, "Authorization")
	}
	for _, h := range gr.headers {
		r.Header[h.name] = h.value
	}
}

func (g *Gate) logDecision(user string, outcome Outcome, cacheState string, ldapTime time.Duration, reason string) {
	if !g.log.DebugEnabled() {
		return
	}
	if len(user) > 64 {
		user = user[:64]
	}
	g.log.Debugf("ldapauth: decision api=%s user=%q outcome=%s cache=%s ldap_ms=%.1f reason=%q",
		g.api.ID, user, outcome, cacheState, float64(ldapTime.Microseconds())/1000, reason)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, m[k])
	}
	return out
}
