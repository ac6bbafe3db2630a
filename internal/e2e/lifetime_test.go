package e2e

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/apidef/oas"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
)

// pluginLifetime is the session_lifetime of the APIs below, in seconds.
const pluginLifetime = 7200

// lifetimeCase is one combination of the gateway and API settings that
// decide the Redis lifetime of a session Tyk writes.
type lifetimeCase struct {
	force       bool  // force_global_session_lifetime
	global      int64 // global_session_lifetime
	respectGW   bool  // session_lifetime_respects_key_expiration in tyk.conf
	respectAPI  bool  // the same setting on the API
	apiLifetime int64 // the API's own session_lifetime (classic) or customKeyLifetime (OAS)
	flavour     flavour
}

func (c lifetimeCase) String() string {
	return fmt.Sprintf("%s/force=%v,global=%d,respect_gw=%v,respect_api=%v,api_lifetime=%d",
		c.flavour, c.force, c.global, c.respectGW, c.respectAPI, c.apiLifetime)
}

// lifetimeCases is every combination, for both kinds of API definition.
func lifetimeCases() []lifetimeCase {
	var out []lifetimeCase
	for _, f := range flavours {
		for _, force := range []bool{false, true} {
			for _, global := range []int64{0, 300} {
				for _, respectGW := range []bool{false, true} {
					for _, respectAPI := range []bool{false, true} {
						for _, apiLifetime := range []int64{0, 600} {
							out = append(out, lifetimeCase{force, global, respectGW, respectAPI, apiLifetime, f})
						}
					}
				}
			}
		}
	}
	return out
}

// TestSessionRedisLifetime: whatever the gateway's and the API's lifetime
// settings, the session the plugin persists gets the lifetime Tyk's rule
// gives it, and that lifetime is finite, except where tyk.conf itself
// forces a global lifetime of 0, which no session can override. Before the
// plugin set the session's expires, every case respecting key expiration
// stored it forever.
func TestSessionRedisLifetime(t *testing.T) {
	e := newEnv(t)
	for i, c := range lifetimeCases() {
		t.Run(c.String(), func(t *testing.T) {
			e.useHost(tykhost.Options{
				ForceGlobalSessionLifetime:           c.force,
				GlobalSessionLifetime:                c.global,
				SessionLifetimeRespectsKeyExpiration: c.respectGW,
			})
			// The plugin remembers per KeyID that this process already
			// wrote a session; a case-specific session_key_secret gives
			// every case (a new host, a new Redis) its own KeyID.
			e.load(e.lifetimeAPI(c, fmt.Sprintf("e2e-lifetime-case-%03d-0123456789", i)))
			before := time.Now().Unix()
			_, rec := e.record(func() reply { return e.as("life", "alice", "alice-pass-1") })
			after := time.Now().Unix()
			if rec.Status != 200 || rec.KeyID == "" {
				t.Fatalf("login recorded %+v", rec)
			}
			ttl, ok := e.host.Sessions().Lifetime(rec.KeyID)
			if !ok {
				t.Fatal("session not persisted")
			}
			s, _ := e.host.Sessions().Get(rec.KeyID)
			switch {
			case c.force:
				// Tyk returns global_session_lifetime before looking at
				// the session or the API: with 0 the session is kept
				// forever, which only tyk.conf can change.
				if ttl != c.global {
					t.Fatalf("TTL %d, want the forced global_session_lifetime %d", ttl, c.global)
				}
			case c.respectGW || c.respectAPI:
				// The session's own lifetime, lengthened to its expires:
				// expires minus the second Tyk wrote it in.
				if ttl <= 0 || ttl < s.Expires-after || ttl > s.Expires-before {
					t.Fatalf("TTL %d, want a finite one: expires %d minus the write second (%d..%d)", ttl, s.Expires, before, after)
				}
			default:
				// The session's own lifetime; the API's is only a fallback.
				if ttl != pluginLifetime {
					t.Fatalf("TTL %d, want the session's session_lifetime %d", ttl, pluginLifetime)
				}
			}
			if !(c.force && c.global == 0) && (ttl <= 0 || ttl > pluginLifetime+1) {
				t.Fatalf("TTL %d: want a finite lifetime of about session_lifetime (%ds)", ttl, pluginLifetime)
			}
			if s.Expires < before+pluginLifetime || s.Expires > after+pluginLifetime+1 {
				t.Fatalf("session expires %d, want session_lifetime (%ds) from the request (%d..%d)", s.Expires, pluginLifetime, before, after)
			}
		})
	}
}

// TestActiveSessionNeverExpires: with a short session_lifetime and Tyk
// respecting key expiration, a user who goes on authenticating after the
// first session's expires has passed is still let in (Tyk's KeyExpired
// check sees each request's fresh session), and the session is written to
// Redis again with the later expiry and a finite lifetime.
func TestActiveSessionNeverExpires(t *testing.T) {
	e := newEnvWith(t, tykhost.Options{SessionLifetimeRespectsKeyExpiration: true})
	e.load(e.api(classic, "life-short", e.direct("session_lifetime", "1s")))
	_, first := e.record(func() reply { return e.as("life-short", "bob", "bob-pass-1") })
	s1, ok := e.host.Sessions().Get(first.KeyID)
	if !ok {
		t.Fatal("first session not persisted")
	}
	// Wait, on the real clock Tyk and the plugin share, until the first
	// session's expires is behind us.
	deadline := time.Now().Add(5 * time.Second)
	for !time.Now().After(time.Unix(s1.Expires, 0)) {
		if time.Now().After(deadline) {
			t.Fatalf("clock did not pass expires %d", s1.Expires)
		}
		time.Sleep(20 * time.Millisecond)
	}
	r, second := e.record(func() reply { return e.as("life-short", "bob", "bob-pass-1") })
	checkGranted(t, r, "bob")
	if second.Status != 200 {
		t.Fatalf("second request recorded %d, want 200", second.Status)
	}
	s2, _ := e.host.Sessions().Get(first.KeyID)
	if n := e.host.Sessions().WritesFor(first.KeyID); n != 2 || s2.Expires <= s1.Expires {
		t.Fatalf("%d writes, expires %d then %d: want the session rewritten with a later expiry", n, s1.Expires, s2.Expires)
	}
	if ttl, _ := e.host.Sessions().Lifetime(first.KeyID); ttl < 1 || ttl > 2 {
		t.Fatalf("rewritten with TTL %d, want session_lifetime 1s (2 when rounding up crossed a second)", ttl)
	}
}

// useHost replaces the env's host with a new one with these gateway
// options, keeping the directory and the plugin.
func (e *env) useHost(opts tykhost.Options) {
	e.t.Helper()
	e.host = tykhost.New(opts)
	e.srv = httptest.NewServer(e.host)
	e.t.Cleanup(e.srv.Close)
}

// lifetimeAPI is API "life" with the plugin's session_lifetime, the given
// session_key_secret and the case's API-level lifetime settings.
func (e *env) lifetimeAPI(c lifetimeCase, sessionKeySecret string) tykhost.APIs {
	cfg := e.direct("session_lifetime", fmt.Sprintf("%ds", pluginLifetime), "session_key_secret", sessionKeySecret)
	if c.flavour == classic {
		return e.api(classic, "life", cfg, func(d *apidef.APIDefinition) {
			d.SessionLifetime = c.apiLifetime
			d.SessionLifetimeRespectsKeyExpiration = c.respectAPI
		})
	}
	apis := e.api(tykOAS, "life", cfg)
	apis.OAS[0].GetTykExtension().Server.Authentication.CustomKeyLifetime = &oas.CustomKeyLifetime{
		Enabled:         c.apiLifetime > 0,
		Value:           oas.ReadableDuration(time.Duration(c.apiLifetime) * time.Second),
		RespectValidity: c.respectAPI,
	}
	return apis
}
