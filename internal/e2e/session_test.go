package e2e

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/TykTechnologies/tyk/user"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
)

// TestSessions checks the Tyk session the plugin creates: one KeyID and
// Alias per canonical user whatever the spelling, written to Redis once,
// granting this API only (so the KeyID is useless as a token elsewhere),
// with the configured lifetime, and carrying the configured policies, which
// Tyk then enforces.
// It runs with the gateway's hash_keys off and on (on is Tyk's default):
// the plugin leaves hashing to the gateway's configuration.
func TestSessions(t *testing.T) {
	for _, hashKeys := range []bool{false, true} {
		t.Run(fmt.Sprintf("hash_keys=%v", hashKeys), func(t *testing.T) {
			testSessions(t, newEnvWith(t, tykhost.Options{HashKeys: hashKeys}))
		})
	}
}

func testSessions(t *testing.T, e *env) {
	const api, polAPI, tokenAPI = "sess", "sess-policy", "sess-token"
	e.host.Policies().Set(user.Policy{
		ID: "e2e-rate3", OrgID: "default", Rate: 3, Per: 60,
		AccessRights: map[string]user.AccessDefinition{polAPI: {APIID: polAPI, Versions: []string{"Default"}}},
	})
	e.load(
		e.api(classic, api, e.direct("session_key_secret", "e2e-session-secret-0123456789", "session_lifetime", "2h")),
		e.api(tykOAS, polAPI, e.search("policies", []string{"e2e-rate3"})),
		e.tokenAPI(tokenAPI),
	)

	var keyID string
	t.Run("spellings share one session", func(t *testing.T) {
		for _, typed := range []string{"Alice", "alice", " alice", "ALICE"} {
			r, rec := e.record(func() reply { return e.as(api, typed, "alice-pass-1") })
			checkGranted(t, r, "alice")
			if rec.Alias != "alice" {
				t.Errorf("%q: analytics alias %q, want alice", typed, rec.Alias)
			}
			if keyID == "" {
				keyID = rec.KeyID
			}
			if rec.KeyID != keyID {
				t.Errorf("%q: KeyID %s, want %s like the first spelling", typed, rec.KeyID, keyID)
			}
		}
		if !strings.HasPrefix(keyID, "ldap-") || strings.Contains(strings.ToLower(keyID), "alice") {
			t.Errorf("KeyID %q: want ldap-<hmac>, not derived visibly from the username", keyID)
		}
		if n := e.host.Sessions().WritesFor(keyID); n != 1 {
			t.Errorf("four spellings wrote the session %d times, want 1", n)
		}
	})

	t.Run("ten requests write once", func(t *testing.T) {
		for i := 0; i < 10; i++ {
			checkGranted(t, e.as(api, "alice", "alice-pass-1"), "alice")
		}
		e.records(14)
		if n := e.host.Sessions().WritesFor(keyID); n != 1 {
			t.Errorf("session written %d times after 14 requests, want 1", n)
		}
		if keys := e.host.Sessions().Keys(); len(keys) != 1 {
			t.Errorf("sessions stored: %v, want alice's only", keys)
		}
	})

	t.Run("stored session", func(t *testing.T) {
		s, ok := e.host.Sessions().Get(keyID)
		if !ok {
			t.Fatal("session not stored")
		}
		want := map[string]user.AccessDefinition{api: {APIID: api, APIName: "e2e " + api, Versions: []string{"Default"}}}
		if !reflect.DeepEqual(s.AccessRights, want) {
			t.Errorf("access rights %+v, want exactly %+v", s.AccessRights, want)
		}
		if s.Alias != "alice" || s.OrgID != "default" || s.SessionLifetime != 7200 || len(s.ApplyPolicies) != 0 {
			t.Errorf("session alias %q org %q lifetime %d policies %v", s.Alias, s.OrgID, s.SessionLifetime, s.ApplyPolicies)
		}
		if s.MetaData["ldap_dn"] != "uid=alice,ou=people,dc=example,dc=org" || s.MetaData["ldap_username"] != "alice" {
			t.Errorf("metadata %v", s.MetaData)
		}
		if ttl, _ := e.host.Sessions().Lifetime(keyID); ttl != 7200 {
			t.Errorf("stored with TTL %d, want session_lifetime 2h = 7200", ttl)
		}
	})

	t.Run("KeyID is not a token for other APIs", func(t *testing.T) {
		for _, v := range []string{keyID, "Bearer " + keyID} {
			checkDenial(t, e.do("/"+tokenAPI+"/", http.Header{"Authorization": {v}}), 403, msgForbidden, "")
		}
	})

	t.Run("policy applies", func(t *testing.T) {
		var bobKey string
		for i := 1; i <= 4; i++ {
			r, rec := e.record(func() reply { return e.as(polAPI, "bob", "bob-pass-1") })
			if i <= 3 {
				checkGranted(t, r, "bob")
				bobKey = rec.KeyID
				continue
			}
			if r.status != http.StatusTooManyRequests || r.seen != nil {
				t.Fatalf("request %d: status %d, want Tyk's 429 from policy e2e-rate3 (3 per 60s)", i, r.status)
			}
		}
		s, ok := e.host.Sessions().Get(bobKey)
		if !ok || !reflect.DeepEqual(s.ApplyPolicies, []string{"e2e-rate3"}) || s.Rate != 3 || s.Per != 60 {
			t.Fatalf("stored session %+v, want policy e2e-rate3 applied", s)
		}
		// Rate limits are per user: carol has her own bucket.
		checkGranted(t, e.as(polAPI, "carol", "carol-pass-1"), "carol")
	})
}

// TestSessionRefresh: the stored session is rewritten once half of
// session_lifetime has passed, so Redis never lets an active user's session
// expire, and not on the requests in between.
func TestSessionRefresh(t *testing.T) {
	e := newEnv(t)
	const api = "sess-refresh"
	e.load(e.api(classic, api, e.direct("session_lifetime", "2s")))
	var key string
	for i := 0; i < 3; i++ {
		_, rec := e.record(func() reply { return e.as(api, "bob", "bob-pass-1") })
		key = rec.KeyID
	}
	if n := e.host.Sessions().WritesFor(key); n != 1 {
		t.Fatalf("%d writes for 3 quick requests, want 1", n)
	}
	if ttl, _ := e.host.Sessions().Lifetime(key); ttl != 2 {
		t.Errorf("stored with TTL %d, want 2", ttl)
	}
	time.Sleep(1100 * time.Millisecond)
	for i := 0; i < 2; i++ {
		e.record(func() reply { return e.as(api, "bob", "bob-pass-1") })
	}
	if n := e.host.Sessions().WritesFor(key); n != 2 {
		t.Errorf("%d writes after half the lifetime passed, want 2", n)
	}
}
