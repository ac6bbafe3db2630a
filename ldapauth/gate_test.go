package ldapauth

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

func newTestGate(t testing.TB, raw map[string]interface{}) (*Gate, *recordingLogger) {
	t.Helper()
	log := &recordingLogger{debug: true}
	g := NewGate(APIInfo{ID: "api-test", OrgID: "default", Name: "test"}, mustConfig(t, raw), log)
	t.Cleanup(g.Close)
	return g, log
}

func request(user, pass string) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", basic(user+":"+pass))
	return r
}

func check(g *Gate, user, pass string) Result { return g.Check(request(user, pass)) }

func expectOutcome(t *testing.T, got Result, want Outcome) {
	t.Helper()
	if got.Outcome != want {
		t.Fatalf("outcome = %v, want %v", got.Outcome, want)
	}
}

func TestGateAnswers(t *testing.T) {
	srv := sharedLDAP(t)
	g, _ := newTestGate(t, searchConfig(srv, map[string]interface{}{"realm": "Corp LDAP"}))
	bad, _ := newTestGate(t, searchConfig(srv, map[string]interface{}{"bind_password": "wrong-service-password"}))
	down, _ := newTestGate(t, map[string]interface{}{"urls": deadURL(t), "user_dn_template": peopleTemplate})
	tests := []struct {
		name       string
		gate       *Gate
		req        *http.Request
		wantStatus int
		wantBody   string
	}{
		{"granted", g, request("alice", "alice-pass-1"), 0, ""},
		{"no header", g, httptest.NewRequest("GET", "/", nil), 401, "Authorization field missing"},
		{"malformed", g, func() *http.Request { r := request("x", "y"); r.Header.Set("Authorization", "Basic %%%"); return r }(), 401, "malformed header"},
		{"wrong password", g, request("alice", "nope"), 401, "Invalid username or password"},
		{"unknown user", g, request("nobody", "nope"), 401, "Invalid username or password"},
		{"misconfigured", bad, request("alice", "alice-pass-1"), 500, "misconfigured"},
		{"unavailable", down, request("alice", "alice-pass-1"), 503, "unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.gate.Check(tt.req)
			if res.Outcome.Status() != tt.wantStatus {
				t.Fatalf("status %d, want %d (%v)", res.Outcome.Status(), tt.wantStatus, res.Outcome)
			}
			if tt.wantStatus == 0 {
				if res.Grant == nil || res.Grant.Identity.Username != "alice" {
					t.Fatalf("grant = %+v", res.Grant)
				}
				return
			}
			w := httptest.NewRecorder()
			tt.gate.WriteDenial(w, res)
			if w.Code != tt.wantStatus || !strings.Contains(w.Body.String(), tt.wantBody) {
				t.Fatalf("wrote %d %q", w.Code, w.Body.String())
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type %q", ct)
			}
			challenge := w.Header().Get("WWW-Authenticate")
			if tt.wantStatus == 401 && challenge != `Basic realm="Corp LDAP", charset="UTF-8"` {
				t.Fatalf("WWW-Authenticate = %q", challenge)
			}
			if tt.wantStatus != 401 && challenge != "" {
				t.Fatalf("WWW-Authenticate on a %d: %q", tt.wantStatus, challenge)
			}
		})
	}
}

func TestGateForbiddenByGroup(t *testing.T) {
	srv := sharedLDAP(t)
	g, _ := newTestGate(t, searchConfig(srv, map[string]interface{}{"required_groups": "developers"}))
	expectOutcome(t, check(g, "alice", "alice-pass-1"), OutcomeGranted)
	res := check(g, "carol", "carol-pass-1")
	expectOutcome(t, res, OutcomeForbidden)
	if res.Grant != nil {
		t.Fatal("a forbidden user got a grant (and would get a session)")
	}
	w := httptest.NewRecorder()
	g.WriteDenial(w, res)
	if w.Code != 403 || w.Header().Get("WWW-Authenticate") != "" {
		t.Fatalf("forbidden answered %d with WWW-Authenticate %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	// Cached decisions keep their verdict.
	expectOutcome(t, check(g, "carol", "carol-pass-1"), OutcomeForbidden)
}

func TestCacheHitCausesNoDirectoryTraffic(t *testing.T) {
	srv := sharedLDAP(t)
	g, log := newTestGate(t, searchConfig(srv, nil))
	expectOutcome(t, check(g, "bob", "bob-pass-1"), OutcomeGranted)
	before := counters(t, srv)
	for i := 0; i < 50; i++ {
		expectOutcome(t, check(g, "bob", "bob-pass-1"), OutcomeGranted)
	}
	if diff := counters(t, srv).Sub(before); diff.Binds+diff.Searches+diff.Connections != 0 {
		t.Fatalf("cache hits reached the directory: %+v", diff)
	}
	if n := log.count("cache=hit"); n != 50 {
		t.Fatalf("%d cache-hit decision lines, want 50", n)
	}
}

func TestCachedSuccessDoesNotAcceptAnotherPassword(t *testing.T) {
	srv := sharedLDAP(t)
	g, _ := newTestGate(t, searchConfig(srv, nil))
	expectOutcome(t, check(g, "alice", "alice-pass-1"), OutcomeGranted)
	for _, pw := range []string{"alice-pass-2", "alice-pass-1 ", "ALICE-PASS-1", "x"} {
		expectOutcome(t, check(g, "alice", pw), OutcomeUnauthorized)
	}
}

// A changed password takes effect once cache_ttl has passed.
func TestPasswordChangeAfterCacheTTL(t *testing.T) {
	srv := slapdtest.StartT(t)
	g, _ := newTestGate(t, directConfig(srv, map[string]interface{}{"cache_ttl": "1s"}))
	expectOutcome(t, check(g, "alice", "alice-pass-1"), OutcomeGranted)
	changed := time.Now()
	if err := srv.SetPassword("uid=alice,ou=people,dc=example,dc=org", "new-pass-2"); err != nil {
		t.Fatal(err)
	}
	// Within the TTL the cached decision still stands (the documented
	// trade-off); the new password works at once.
	if time.Since(changed) < 900*time.Millisecond {
		expectOutcome(t, check(g, "alice", "alice-pass-1"), OutcomeGranted)
	}
	expectOutcome(t, check(g, "alice", "new-pass-2"), OutcomeGranted)
	time.Sleep(1100 * time.Millisecond)
	expectOutcome(t, check(g, "alice", "alice-pass-1"), OutcomeUnauthorized)
	expectOutcome(t, check(g, "alice", "new-pass-2"), OutcomeGranted)
}

func TestOutagesAreNeverCached(t *testing.T) {
	srv := slapdtest.StartT(t)
	g, _ := newTestGate(t, directConfig(srv, fastTimeouts))
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	expectOutcome(t, check(g, "alice", "alice-pass-1"), OutcomeUnavailable)
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	expectOutcome(t, check(g, "alice", "alice-pass-1"), OutcomeGranted)
}

func TestStaleIfError(t *testing.T) {
	srv := slapdtest.StartT(t)
	g, log := newTestGate(t, directConfig(srv, merge(map[string]interface{}{"cache_ttl": "200ms", "stale_if_error": "1m"}, fastTimeouts)))
	expectOutcome(t, check(g, "alice", "alice-pass-1"), OutcomeGranted)
	time.Sleep(250 * time.Millisecond) // past cache_ttl
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	expectOutcome(t, check(g, "alice", "alice-pass-1"), OutcomeGranted) // served stale
	if log.count("stale_if_error") == 0 {
		t.Fatal("serving a stale decision was not logged")
	}
	expectOutcome(t, check(g, "alice", "wrong"), OutcomeUnavailable)    // never-seen credentials
	expectOutcome(t, check(g, "bob", "bob-pass-1"), OutcomeUnavailable) // never-seen user
	noStale, _ := newTestGate(t, directConfig(srv, merge(map[string]interface{}{"cache_ttl": "200ms"}, fastTimeouts)))
	expectOutcome(t, check(noStale, "alice", "alice-pass-1"), OutcomeUnavailable)
}

func TestNegativeCache(t *testing.T) {
	srv := sharedLDAP(t)
	g, _ := newTestGate(t, directConfig(srv, map[string]interface{}{"negative_cache_ttl": "1m"}))
	expectOutcome(t, check(g, "carol", "wrong-1"), OutcomeUnauthorized)
	before := counters(t, srv)
	expectOutcome(t, check(g, "carol", "wrong-1"), OutcomeUnauthorized)
	if diff := counters(t, srv).Sub(before); diff.Binds != 0 {
		t.Fatalf("a remembered rejection reached the directory: %+v", diff)
	}
	// The right password is a different key: never blocked by a rejection.
	expectOutcome(t, check(g, "carol", "carol-pass-1"), OutcomeGranted)
}

// A burst of identical cold requests costs one bind; all get its answer.
func TestHerdCausesOneBind(t *testing.T) {
	srv := sharedLDAP(t)
	g, _ := newTestGate(t, directConfig(srv, nil))
	const n = 1000
	before := counters(t, srv)
	var wg sync.WaitGroup
	start := make(chan struct{})
	outcomes := make(chan Outcome, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := request("test", "test123")
			<-start
			outcomes <- g.Check(r).Outcome
		}()
	}
	close(start)
	wg.Wait()
	close(outcomes)
	for o := range outcomes {
		if o != OutcomeGranted {
			t.Fatalf("a request of the herd got %v", o)
		}
	}
	diff := counters(t, srv).Sub(before)
	if got := diff.BindsByDN["uid=test,ou=people,dc=example,dc=org"]; got != 1 {
		t.Fatalf("%d binds for %d identical cold requests, want exactly 1 (%+v)", got, n, diff)
	}
}

func TestLockout(t *testing.T) {
	srv := sharedLDAP(t)
	g, _ := newTestGate(t, searchConfig(srv, map[string]interface{}{"max_failures": 3.0, "failure_window": "1s"}))
	for i := 0; i < 3; i++ {
		expectOutcome(t, check(g, "dave", fmt.Sprintf("guess-%d", i)), OutcomeUnauthorized)
	}
	before := counters(t, srv)
	for _, attempt := range []struct{ user, pass string }{
		{"dave", "guess-9"}, {"dave", "dave:pass word"}, {"DAVE", "x"}, {" dave", "y"},
	} {
		res := check(g, attempt.user, attempt.pass)
		expectOutcome(t, res, OutcomeThrottled)
		if res.RetryAfter <= 0 || res.RetryAfter > time.Second {
			t.Fatalf("RetryAfter = %v", res.RetryAfter)
		}
	}
	if diff := counters(t, srv).Sub(before); diff.Binds != 0 {
		t.Fatalf("locked-out attempts reached the directory: %+v", diff)
	}
	w := httptest.NewRecorder()
	g.WriteDenial(w, check(g, "dave", "z"))
	if w.Code != 429 || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("429 response: %d Retry-After=%q", w.Code, w.Header().Get("Retry-After"))
	}
	expectOutcome(t, check(g, "alice", "alice-pass-1"), OutcomeGranted) // others unaffected
	time.Sleep(1100 * time.Millisecond)
	expectOutcome(t, check(g, "dave", "dave:pass word"), OutcomeGranted)
}

// Spoofed identity headers go, on every path; the real ones are set and the
// credentials removed only for granted requests.
func TestIdentityHeaders(t *testing.T) {
	srv := sharedLDAP(t)
	g, _ := newTestGate(t, searchConfig(srv, map[string]interface{}{
		"groups_header": "X-Authenticated-Groups", "group_source": "memberof",
		"attribute_headers": map[string]interface{}{"mail": "X-Authenticated-Email"},
	}))
	spoof := func(r *http.Request) *http.Request {
		r.Header.Set("X-Authenticated-User", "admin")
		r.Header.Set("x-authenticated-groups", "admins")
		r.Header.Add("X-Authenticated-Email", "boss@example.org")
		return r
	}
	denied := spoof(request("alice", "wrong"))
	expectOutcome(t, g.Check(denied), OutcomeUnauthorized)
	for _, h := range []string{"X-Authenticated-User", "X-Authenticated-Groups", "X-Authenticated-Email"} {
		if v := denied.Header.Values(h); len(v) != 0 {
			t.Fatalf("spoofed %s survived a denial: %v", h, v)
		}
	}
	r := spoof(request("alice", "alice-pass-1"))
	res := g.Check(r)
	expectOutcome(t, res, OutcomeGranted)
	g.Forward(r, res.Grant)
	want := map[string]string{"X-Authenticated-User": "alice", "X-Authenticated-Groups": "developers", "X-Authenticated-Email": "alice@example.org"}
	for h, v := range want {
		if got := r.Header.Values(h); len(got) != 1 || got[0] != v {
			t.Errorf("%s = %v, want [%s]", h, got, v)
		}
	}
	if r.Header.Get("Authorization") != "" {
		t.Error("Authorization kept with hide_credentials on")
	}
}

func TestLogsNeverContainPasswords(t *testing.T) {
	srv := sharedLDAP(t)
	t.Setenv("TYK_LDAP_TEST_SVC_PW", slapdtest.ServiceAccountPassword)
	g, log := newTestGate(t, searchConfig(srv, map[string]interface{}{"bind_password": "env://TYK_LDAP_TEST_SVC_PW", "max_failures": 2.0}))
	passwords := []string{"alice-pass-1", "Wr0ng-Secret-Guess", "another-guess-77"}
	for _, pw := range passwords {
		check(g, "alice", pw)
		check(g, "alice", pw)
	}
	check(g, "nobody-here", "Wr0ng-Secret-Guess")
	down, downLog := newTestGate(t, map[string]interface{}{"urls": deadURL(t), "user_dn_template": peopleTemplate})
	check(down, "alice", "alice-pass-1")
	all := log.all() + downLog.all()
	if !strings.Contains(all, "outcome=") {
		t.Fatal("no decision lines logged at all")
	}
	for _, secret := range append(passwords, slapdtest.ServiceAccountPassword) {
		if strings.Contains(all, secret) {
			t.Fatalf("a log line contains the password %q:\n%s", secret, all)
		}
	}
	if strings.Contains(all, "Basic ") || strings.Contains(all, basic("alice:alice-pass-1")[6:]) {
		t.Fatal("a log line contains an Authorization header")
	}
}

func TestSameHeaderName(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"X_Authenticated_User", "X-Authenticated-User", true},
		{"x_authenticated-user", "X-Authenticated-User", true},
		{"X-Authenticated_User", "X-Authenticated-User", true},
		{"X-Authenticated-Users", "X-Authenticated-User", false},
		{"X-Authenticated-Usex", "X-Authenticated-User", false},
		{"X@Authenticated-User", "X`Authenticated-User", false},
	}
	for _, tt := range tests {
		if got := sameHeaderName(tt.a, tt.b); got != tt.want {
			t.Errorf("sameHeaderName(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}
