package tykhost

import "github.com/TykTechnologies/tyk/user"

// sessionLifetime is the Redis lifetime, in seconds (0: no expiry), that Tyk
// gives a session it writes after a middleware of API s. It is
// BaseMiddleware.UpdateRequestSession's call (gateway/middleware.go):
// SessionState.Lifetime with
//   - respectKeyExpiration: APISpec.GetSessionLifetimeRespectsKeyExpiration
//     (gateway/api_definition.go), true when tyk.conf or the API sets
//     session_lifetime_respects_key_expiration;
//   - fallback: the API's session_lifetime (a Tyk OAS API's
//     server.authentication.customKeyLifetime, extracted into it);
//   - the gateway's force_global_session_lifetime and
//     global_session_lifetime.
//
// Read at v5.3.13, v5.8.0, v5.8.12, v5.8.15 and v5.14.0: the same call in
// every one. The rule itself lives in SessionState.Lifetime, so the session's
// own session_lifetime and expires take part, and Lifetime reads the real
// clock (time.Now), not Options.Now, exactly as the gateway does.
func (h *Host) sessionLifetime(s *apiSpec, sess *user.SessionState) int64 {
	respect := h.opts.SessionLifetimeRespectsKeyExpiration || s.sessionLifetimeRespectsKeyExpiration
	return sess.Lifetime(respect, s.sessionLifetime, h.opts.ForceGlobalSessionLifetime, h.opts.GlobalSessionLifetime)
}
