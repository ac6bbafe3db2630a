package bench

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/TykTechnologies/tyk/apidef"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth"
)

const (
	benchUser = "alice"
	benchPass = "alice-pass-1"
)

func hotConfig(srv *slapdtest.Server) map[string]interface{} {
	return map[string]interface{}{
		"urls":               srv.URL(),
		"user_dn_template":   "uid={username},ou=people,dc=example,dc=org",
		"session_key_secret": "benchmark-session-secret-0123456789",
	}
}

// hotSetup loads both plugins and warms the LDAP plugin's cache for an API.
func hotSetup(b *testing.B, apiID string) (ldap, noop handler, def *apidef.APIDefinition, auth []string) {
	srv := sharedLDAP(b)
	ldap, noop = ldapAuth(b), noopAuth(b)
	def = api(apiID, hotConfig(srv))
	auth = authHeader(benchUser, benchPass)
	warm(b, ldap, newReusableRequest(def, auth))
	return ldap, noop, def, auth
}

// benchFloor is HMAC-SHA256 of the credentials alone (hmac.New, Write,
// Sum): the least work any cache keyed like ours does per request.
func benchFloor(b *testing.B) {
	key := make([]byte, 32)
	rand.Read(key)
	user, pass := []byte(benchUser), []byte(benchPass)
	var sum [sha256.Size]byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		mac := hmac.New(sha256.New, key)
		mac.Write(user)
		mac.Write(pass)
		mac.Sum(sum[:0])
	}
}

// BenchmarkHotPath compares, in one run:
//   - Floor: benchFloor;
//   - NoopPlugin: a loaded auth plugin that only creates and sets a session,
//     the ceiling for any Tyk auth plugin;
//   - LDAPAuthCacheHit: the real plugin on a warm cache: header parse, cache
//     lookup, session build, identity headers, ctx.SetSession.
func BenchmarkHotPath(b *testing.B) {
	ldap, noop, def, auth := hotSetup(b, "bench-hot")
	b.Run("Floor", benchFloor)
	b.Run("NoopPlugin", func(b *testing.B) { serve(b, noop, newReusableRequest(def, auth)) })
	b.Run("LDAPAuthCacheHit", func(b *testing.B) { serve(b, ldap, newReusableRequest(def, auth)) })
	// With shared_state redis a cache hit still never touches Redis.
	cfg := hotConfig(sharedLDAP(b))
	cfg["shared_state"], cfg["redis_url"], cfg["max_failures"] = "redis", sharedRedis(b).URL(), 5.0
	redisDef := api("bench-hot-redis", cfg)
	warm(b, ldap, newReusableRequest(redisDef, auth))
	b.Run("LDAPAuthCacheHitRedisCounts", func(b *testing.B) { serve(b, ldap, newReusableRequest(redisDef, auth)) })
}

// BenchmarkGateCacheHit isolates the plugin's own work on a cache hit
// (strip spoofed headers, parse the header, HMAC, cache lookup, persistence
// check), without the Tyk session, against the same floor. The gate has no
// logger: as in a gateway not at debug level, no decision line is built.
func BenchmarkGateCacheHit(b *testing.B) {
	cfg, err := ldapauth.ParseConfig(hotConfig(sharedLDAP(b)))
	if err != nil {
		b.Fatal(err)
	}
	g, err := ldapauth.NewGate(ldapauth.APIInfo{ID: "bench-gate"}, cfg, ldapauth.GateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	r := httptest.NewRequest("GET", "/", nil)
	auth := authHeader(benchUser, benchPass)
	r.Header["Authorization"] = auth
	if g.Check(r).Outcome != ldapauth.OutcomeGranted {
		b.Fatal("warm-up request refused")
	}
	b.Run("Floor", benchFloor)
	check := func(g *ldapauth.Gate) func(b *testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				r.Header["Authorization"] = auth
				if g.Check(r).Outcome != ldapauth.OutcomeGranted {
					b.Fatal("refused")
				}
			}
		}
	}
	b.Run("Check", check(g))
	unwatched, watched := registryGate(b, r, false), registryGate(b, r, true)
	b.Run("CheckWatched", check(watched))
	b.Run("CheckUnwatched", check(unwatched))
}

// registryGate is the benchmark's gate built by a registry as the gateway
// builds it, with a service account, and with or without a live revocation
// watch, warmed.
func registryGate(b *testing.B, r *http.Request, watch bool) *ldapauth.Gate {
	srv := sharedLDAP(b)
	cfg := hotConfig(srv)
	cfg["bind_dn"], cfg["bind_password"] = slapdtest.ServiceAccountDN, slapdtest.ServiceAccountPassword
	if !watch {
		cfg["revocation_watch"] = "off"
	}
	reg := ldapauth.NewRegistry(ldapauth.RegistryOptions{})
	b.Cleanup(reg.Close)
	g, err := reg.Admit("bench-registry", ldapauth.APISource{Info: ldapauth.APIInfo{ID: "bench-registry"}, Config: cfg})
	if err != nil {
		b.Fatal(err)
	}
	if g.Check(r).Outcome != ldapauth.OutcomeGranted {
		b.Fatal("warm-up request refused")
	}
	deadline := time.Now().Add(10 * time.Second)
	for watch && !g.Watched() {
		if time.Now().After(deadline) {
			b.Fatal("the revocation watch did not start")
		}
		time.Sleep(10 * time.Millisecond) // polling for the watch
	}
	return g
}

// BenchmarkHotPathParallel is the same under many goroutines; run it with
// -cpu 1,2,8 to look for lock contention.
func BenchmarkHotPathParallel(b *testing.B) {
	ldap, noop, def, auth := hotSetup(b, "bench-hot-parallel")
	for _, c := range []struct {
		name string
		h    handler
	}{{"NoopPlugin", noop}, {"LDAPAuthCacheHit", ldap}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				q, w := newReusableRequest(def, auth), newDiscardWriter()
				for pb.Next() {
					c.h(w, q.next())
				}
				if w.written != 0 {
					b.Errorf("the plugin wrote a response on a cache hit")
				}
			})
		})
	}
}

func warm(tb testing.TB, h handler, q *reusableRequest) {
	tb.Helper()
	w := newDiscardWriter()
	h(w, q.next())
	if w.written != 0 {
		tb.Fatalf("warm-up request was refused (is slapd up?)")
	}
}

func serve(b *testing.B, h handler, q *reusableRequest) {
	w := newDiscardWriter()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h(w, q.next())
	}
	b.StopTimer()
	if w.written != 0 {
		b.Fatalf("the plugin wrote a response %d times", w.written)
	}
}
