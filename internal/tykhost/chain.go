package tykhost

import (
	"net/http"
	"strings"
	"time"

	"github.com/TykTechnologies/tyk/ctx"
	"github.com/TykTechnologies/tyk/log"
)

// step is one middleware after authentication; it reports whether the chain
// continues.
type step func(h *Host, s *apiSpec, w http.ResponseWriter, r *http.Request, rec *Record) bool

// postAuth is the order of gateway/api_loader.go after the auth middleware:
// StripAuth, KeyExpired, AccessRightsCheck, RateLimitAndQuotaCheck.
var postAuth = []step{
	(*Host).stripAuth,
	(*Host).keyExpired,
	(*Host).accessRights,
	(*Host).rateAndQuota,
}

// ServeHTTP routes by listen path and runs the API's chain.
func (h *Host) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := h.routes.Load().match(r.URL.Path)
	if s == nil {
		http.NotFound(w, r)
		return
	}
	rec := &Record{
		Time:   h.opts.Now(),
		Method: r.Method,
		Path:   r.URL.Path,
	}
	defer h.finish(r, rec)
	if h.opts.OpenTelemetry {
		h.serveTraced(s, w, r, rec)
		return
	}
	h.serveChain(s, w, r, rec)
}

// serveChain runs the API's chain (ChainObject.ThisHandler), for a routed
// request or one another API hands over (loops.go, version_routing.go).
// The record names the API whose chain runs last: in Tyk only the final
// chain's success or error handler records the request.
func (h *Host) serveChain(s *apiSpec, w http.ResponseWriter, r *http.Request, rec *Record) {
	rec.APIID, rec.OrgID = s.apiID, s.orgID

	// VersionCheck comes before authentication, keyless APIs included.
	if !h.versionCheck(s, w, r, rec) {
		return
	}
	switch s.auth {
	case authKeyless:
		h.finalHandler(s, w, r, rec)
		return
	case authGoPlugin:
		if !h.goPluginAuth(s, w, r, rec) {
			return
		}
	case authToken:
		if !h.authKey(s, w, r, rec) {
			return
		}
	}
	for _, next := range postAuth {
		if !next(h, s, w, r, rec) {
			return
		}
		h.updateSession(s, r)
	}
	h.finalHandler(s, w, r, rec)
}

// finish completes the analytics record with the session's identity and
// stores it. When the plugin's panic is dropping the connection (v5.12+
// mode) it records nothing, as Tyk records nothing then, and lets the panic
// go on to net/http.
func (h *Host) finish(r *http.Request, rec *Record) {
	if e := recover(); e != nil {
		panic(e)
	}
	if sess := ctx.GetSession(r); sess != nil {
		rec.Alias = sess.Alias
		rec.KeyID = sess.KeyID
	}
	h.analytics.add(*rec)
}

// fail is ErrorHandler.HandleError: write the error body unless the gateway
// suppresses it, record the status, and persist a modified session.
func (h *Host) fail(s *apiSpec, w http.ResponseWriter, r *http.Request, rec *Record, msg string, code int, writeResponse bool) {
	if writeResponse {
		writeTykError(w, msg, code)
	}
	rec.Status = code
	h.updateSession(s, r)
}

// updateSession is BaseMiddleware.UpdateRequestSession: after each
// middleware, a session marked modified is written to the store under its
// KeyID, with the lifetime Tyk computes for it, and unmarked. Nothing is
// written without a session or a KeyID.
func (h *Host) updateSession(s *apiSpec, r *http.Request) {
	sess := ctx.GetSession(r)
	token := ctx.GetAuthToken(r)
	if sess == nil || token == "" || !sess.IsModified() {
		return
	}
	lifetime := h.sessionLifetime(s, sess)
	if err := h.sessions.Put(token, sess, lifetime); err != nil {
		log.Get().WithError(err).Error("Can't update session")
		return
	}
	sess.Reset()
}

// authKey is the standard token middleware (gateway/mw_auth_key.go): the
// Authorization header value is the key, looked up in the session store.
func (h *Host) authKey(s *apiSpec, w http.ResponseWriter, r *http.Request, rec *Record) bool {
	key := stripBearer(r.Header.Get("Authorization"))
	if key == "" {
		h.fail(s, w, r, rec, msgAuthMissing, http.StatusUnauthorized, true)
		return false
	}
	sess, ok := h.sessions.Get(key)
	if ok {
		if err := h.policies.Apply(sess, s.orgID); err != nil {
			log.Get().WithError(err).Error("Could not apply policy to session")
			ok = false
		}
	}
	if !ok {
		h.fail(s, w, r, rec, msgAccessDenied, http.StatusForbidden, true)
		return false
	}
	ctx.SetSession(r, sess, false, h.opts.HashKeys, h.opts.HashKeys)
	h.updateSession(s, r)
	return true
}

func stripBearer(token string) string {
	if len(token) > 6 && strings.EqualFold(token[:7], "Bearer ") {
		return token[7:]
	}
	return token
}

// stripAuth removes the Authorization header when strip_auth_data is set
// (gateway/mw_strip_auth.go, default auth header).
func (h *Host) stripAuth(s *apiSpec, _ http.ResponseWriter, r *http.Request, _ *Record) bool {
	if s.stripAuthData {
		r.Header.Del("Authorization")
	}
	return true
}

// keyExpired is gateway/mw_key_expired_check.go.
func (h *Host) keyExpired(s *apiSpec, w http.ResponseWriter, r *http.Request, rec *Record) bool {
	sess := ctx.GetSession(r)
	switch {
	case sess == nil:
		h.fail(s, w, r, rec, msgSessionMissing, http.StatusBadRequest, true)
		return false
	case sess.IsInactive:
		h.fail(s, w, r, rec, msgKeyInactive, http.StatusForbidden, true)
		return false
	case sess.Expires >= 1 && h.opts.Now().After(time.Unix(sess.Expires, 0)):
		h.fail(s, w, r, rec, msgKeyExpired, http.StatusUnauthorized, true)
		return false
	}
	return true
}

// accessRights is gateway/mw_access_rights.go: a session with access rights
// must list this API, and on a versioned API the request's version; a
// session without any may call every API.
func (h *Host) accessRights(s *apiSpec, w http.ResponseWriter, r *http.Request, rec *Record) bool {
	sess := ctx.GetSession(r)
	if len(sess.AccessRights) == 0 {
		return true
	}
	if ad, ok := sess.AccessRights[s.apiID]; !ok || !s.versionAllowed(r, ad.Versions) {
		h.fail(s, w, r, rec, msgAccessDenied, http.StatusForbidden, true)
		return false
	}
	return true
}

// rateAndQuota is gateway/mw_rate_limiting.go with SessionLimiter: rate limit
// then quota, both counted per KeyID. Counting quota marks the session
// modified, so it is persisted.
func (h *Host) rateAndQuota(s *apiSpec, w http.ResponseWriter, r *http.Request, rec *Record) bool {
	if s.disableRateLimit && s.disableQuota {
		return true
	}
	sess := ctx.GetSession(r)
	lim := limitFor(sess, s.apiID)
	now := h.opts.Now()
	if !s.disableRateLimit && !h.limits.allowRate(sess.KeyID, lim.RateLimit, now) {
		h.fail(s, w, r, rec, msgRateLimited, http.StatusTooManyRequests, true)
		return false
	}
	if !s.disableQuota && lim.QuotaMax > 0 {
		ok, remaining := h.limits.useQuota(sess.KeyID, lim, now)
		sess.QuotaRemaining = remaining
		sess.Touch()
		if !ok {
			h.fail(s, w, r, rec, msgQuotaExceeded, http.StatusForbidden, true)
			return false
		}
	}
	return true
}

// proxyRequest strips the listen path if configured and proxies upstream
// (SuccessHandler.ServeHTTP).
func (h *Host) proxyRequest(s *apiSpec, w http.ResponseWriter, r *http.Request, rec *Record) {
	sanitizeProxyPaths(s, r)
	sw := &statusWriter{ResponseWriter: w}
	s.proxy.ServeHTTP(sw, r)
	rec.Status = sw.code
	rec.Proxied = !sw.proxyFailed
}
