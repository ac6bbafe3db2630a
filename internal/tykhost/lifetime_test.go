package tykhost

import (
	"strconv"
	"testing"
	"time"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/apidef/oas"
)

// TestSessionLifetime checks the Redis lifetime the host gives a persisted
// session against Tyk's rule (UpdateRequestSession → SessionState.Lifetime):
// gateway settings, then the API's, then the session's own fields.
func TestSessionLifetime(t *testing.T) {
	so := testPlugin(t)
	up := newUpstream(t)

	// untilExpires marks the cases where Tyk keeps the session until its
	// own Expires: the lifetime is Expires minus the second of the write.
	const untilExpires = -1
	tests := []struct {
		name string
		opts Options
		// apiLifetime and apiRespects are the classic API's
		// session_lifetime and session_lifetime_respects_key_expiration.
		apiLifetime int64
		apiRespects bool
		// oasLifetime, when set, loads a Tyk OAS API with this
		// server.authentication.customKeyLifetime instead.
		oasLifetime *oas.CustomKeyLifetime
		// sessionLifetime and expiresIn are the session's
		// session_lifetime and expires (seconds from now; 0: none).
		sessionLifetime, expiresIn int64
		want                       int64
	}{
		{name: "session lifetime", sessionLifetime: 600, apiLifetime: 300, want: 600},
		{name: "API lifetime when the session has none", apiLifetime: 300, want: 300},
		{name: "neither: no expiry", want: 0},
		{name: "global lifetime without force is ignored", opts: Options{GlobalSessionLifetime: 50}, sessionLifetime: 600, want: 600},
		{name: "forced global lifetime wins", opts: Options{GlobalSessionLifetime: 50, ForceGlobalSessionLifetime: true, SessionLifetimeRespectsKeyExpiration: true},
			sessionLifetime: 600, apiLifetime: 300, expiresIn: 7200, want: 50},
		{name: "forced global lifetime 0: no expiry", opts: Options{ForceGlobalSessionLifetime: true}, sessionLifetime: 600, want: 0},
		{name: "gateway respects expiry, session has none: no expiry", opts: Options{SessionLifetimeRespectsKeyExpiration: true}, sessionLifetime: 600, want: 0},
		{name: "API respects expiry, session has none: no expiry", apiRespects: true, sessionLifetime: 600, want: 0},
		{name: "respect applies to the API lifetime too", apiRespects: true, apiLifetime: 300, want: 0},
		{name: "respect with a later expiry keeps it until then", opts: Options{SessionLifetimeRespectsKeyExpiration: true}, sessionLifetime: 600, expiresIn: 7200, want: untilExpires},
		{name: "respect with an earlier expiry keeps the lifetime", apiRespects: true, sessionLifetime: 600, expiresIn: 60, want: 600},
		{name: "later expiry without respect is ignored", sessionLifetime: 600, expiresIn: 7200, want: 600},
		{name: "OAS customKeyLifetime", oasLifetime: &oas.CustomKeyLifetime{Enabled: true, Value: oas.ReadableDuration(5 * time.Minute)}, want: 300},
		{name: "OAS customKeyLifetime disabled", oasLifetime: &oas.CustomKeyLifetime{Value: oas.ReadableDuration(5 * time.Minute)}, want: 0},
		{name: "OAS respectValidity without expiry: no expiry", oasLifetime: &oas.CustomKeyLifetime{Enabled: true, Value: oas.ReadableDuration(5 * time.Minute), RespectValidity: true}, want: 0},
		{name: "OAS respectValidity with a later expiry", oasLifetime: &oas.CustomKeyLifetime{Enabled: true, Value: oas.ReadableDuration(5 * time.Minute), RespectValidity: true}, expiresIn: 7200, want: untilExpires},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var apis APIs
			if tc.oasLifetime != nil {
				o := oasAPI(t, "ldap", "/ldap/", up.URL, so)
				o.GetTykExtension().Server.Authentication.CustomKeyLifetime = tc.oasLifetime
				apis.OAS = []*oas.OAS{o}
			} else {
				d := pluginAPI("ldap", "/ldap/", up.URL, so)
				d.SessionLifetime, d.SessionLifetimeRespectsKeyExpiration = tc.apiLifetime, tc.apiRespects
				apis.Classic = []*apidef.APIDefinition{d}
			}
			h, srv := startHost(t, tc.opts, apis)
			headers := map[string]string{"X-Test-User": "a", "X-Test-Schedule": "true"}
			if tc.sessionLifetime != 0 {
				headers["X-Test-Session-Lifetime"] = strconv.FormatInt(tc.sessionLifetime, 10)
			}
			if tc.expiresIn != 0 {
				headers["X-Test-Expires"] = "in:" + strconv.FormatInt(tc.expiresIn, 10)
			}
			before := time.Now().Unix()
			if got := do(t, srv, "GET", "/ldap/", headers, ""); got.status != 200 {
				t.Fatalf("got %d %q", got.status, got.body)
			}
			after := time.Now().Unix()
			ttl, ok := h.Sessions().Lifetime("test:a")
			if !ok {
				t.Fatal("session not stored")
			}
			if tc.want != untilExpires {
				if ttl != tc.want {
					t.Fatalf("stored with lifetime %d, want %d", ttl, tc.want)
				}
				return
			}
			s, _ := h.Sessions().Get("test:a")
			if ttl < s.Expires-after || ttl > s.Expires-before {
				t.Fatalf("stored with lifetime %d, want expires %d minus the write second (%d..%d)", ttl, s.Expires, before, after)
			}
		})
	}
}
