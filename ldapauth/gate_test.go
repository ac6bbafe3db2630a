package ldapauth

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/state"
)

// fastTimeouts keeps outage tests short.
var fastTimeouts = map[string]any{"dial_timeout": "500ms", "request_timeout": "1s"}

func newTestGate(t testing.TB, raw map[string]any) (*Gate, *recordingLogger) {
	t.Helper()
	return newTestGateWith(t, raw, GateOptions{})
}

func newTestGateWith(t testing.TB, raw map[string]any, opts GateOptions) (*Gate, *recordingLogger) {
	t.Helper()
	log := newRecordingLogger(true)
	opts.Logger = log.logger()
	g, err := NewGate(APIInfo{ID: "api-test", OrgID: "default", Name: "test"}, mustConfig(t, raw), opts)
	if err != nil {
		t.Fatalf("NewGate: %v", err)
	}
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
	g, _ := newTestGate(t, searchConfig(srv, map[string]any{"realm": "Corp LDAP"}))
	bad, _ := newTestGate(t, searchConfig(srv, map[string]any{"bind_password": "wrong-service-password"}))
	down, _ := newTestGate(t, map[string]any{"urls": deadURL(t), "user_dn_template": peopleTemplate})
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
	g, _ := newTestGate(t, searchConfig(srv, map[string]any{"required_groups": "developers", "group_base_dn": slapdtest.GroupsDN}))
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
	if n := log.count(`cache="hit"`); n != 50 {
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
	g, _ := newTestGate(t, directConfig(srv, map[string]any{"cache_ttl": "1s"}))
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
	g, log := newTestGate(t, directConfig(srv, merge(map[string]any{"cache_ttl": "200ms", "stale_if_error": "1m"}, fastTimeouts)))
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
	noStale, _ := newTestGate(t, directConfig(srv, merge(map[string]any{"cache_ttl": "200ms"}, fastTimeouts)))
	expectOutcome(t, check(noStale, "alice", "alice-pass-1"), OutcomeUnavailable)
}

func TestNegativeCache(t *testing.T) {
	srv := sharedLDAP(t)
	g, _ := newTestGate(t, directConfig(srv, map[string]any{"negative_cache_ttl": "1m"}))
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
	g, _ := newTestGate(t, searchConfig(srv, map[string]any{"max_failures": 3.0, "failure_window": "1s"}))
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
	g, _ := newTestGate(t, searchConfig(srv, map[string]any{
		"groups_header": "X-Authenticated-Groups", "group_source": "memberof", "group_base_dn": slapdtest.GroupsDN,
		"attribute_headers": map[string]any{"mail": "X-Authenticated-Email"},
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
	g, log := newTestGate(t, searchConfig(srv, map[string]any{"bind_password": "env://TYK_LDAP_TEST_SVC_PW", "max_failures": 2.0}))
	passwords := []string{"alice-pass-1", "Wr0ng-Secret-Guess", "another-guess-77"}
	for _, pw := range passwords {
		check(g, "alice", pw)
		check(g, "alice", pw)
	}
	check(g, "nobody-here", "Wr0ng-Secret-Guess")
	down, downLog := newTestGate(t, map[string]any{"urls": deadURL(t), "user_dn_template": peopleTemplate})
	check(down, "alice", "alice-pass-1")
	all := log.all() + downLog.all()
	if !strings.Contains(all, "outcome=") || !strings.Contains(all, `api_id="api-test"`) {
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

// However many wrong passwords arrive at once for one account, spelled
// however the directory folds, at most max_failures binds for it reach the
// directory per window, in both modes; the right password then waits for
// the window too.
func TestBruteForceBoundHoldsUnderConcurrency(t *testing.T) {
	modes := []struct {
		name string
		raw  func(*slapdtest.Server) map[string]any
	}{
		{"direct bind", func(s *slapdtest.Server) map[string]any { return directConfig(s, nil) }},
		{"search then bind", func(s *slapdtest.Server) map[string]any { return searchConfig(s, nil) }},
	}
	const aliceDN = "uid=alice,ou=people,dc=example,dc=org"
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			srv := sharedLDAP(t)
			g, _ := newTestGate(t, merge(mode.raw(srv), map[string]any{"max_failures": 3.0, "failure_window": "1m"}))
			spellings := []string{"alice", "Alice", "ALICE", " alice", "alice "}
			const burst = 120
			before := counters(t, srv)
			outcomes := make(chan Outcome, burst)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range burst {
				r := request(spellings[i%len(spellings)], fmt.Sprintf("wrong-guess-%d", i))
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					outcomes <- g.Check(r).Outcome
				}()
			}
			close(start)
			wg.Wait()
			close(outcomes)
			counts := map[Outcome]int{}
			for o := range outcomes {
				counts[o]++
			}
			diff := counters(t, srv).Sub(before)
			binds := 0
			for dn, n := range diff.BindsByDN {
				if directory.NormalizeDN(dn) == directory.NormalizeDN(aliceDN) {
					binds += n
				}
			}
			if binds > 3 {
				t.Fatalf("%d wrong-password binds for alice reached slapd, max_failures is 3 (%v)", binds, diff.BindsByDN)
			}
			if counts[OutcomeUnauthorized] != binds || counts[OutcomeThrottled] != burst-binds {
				t.Fatalf("outcomes %v with %d binds; want one 401 per bind and 429 for the rest", counts, binds)
			}
			res := check(g, "alice", "alice-pass-1")
			expectOutcome(t, res, OutcomeThrottled)
			if res.RetryAfter <= 0 || res.RetryAfter > time.Minute {
				t.Fatalf("RetryAfter = %v", res.RetryAfter)
			}
			expectOutcome(t, check(g, "bob", "bob-pass-1"), OutcomeGranted) // others unaffected
		})
	}
}

// Two APIs on the same directory share one budget per account.
func TestAPIsOnOneDirectoryShareTheBudget(t *testing.T) {
	srv := sharedLDAP(t)
	reg := NewRegistry(RegistryOptions{})
	t.Cleanup(reg.Close)
	raw := directConfig(srv, map[string]any{"max_failures": 2.0, "failure_window": "1m"})
	a, err := reg.Admit("def-a", APISource{Info: APIInfo{ID: "a"}, Config: raw})
	if err != nil {
		t.Fatal(err)
	}
	b, err := reg.Admit("def-b", APISource{Info: APIInfo{ID: "b"}, Config: merge(directConfig(srv, nil), map[string]any{"max_failures": 2.0, "failure_window": "1m", "realm": "B"})})
	if err != nil {
		t.Fatal(err)
	}
	expectOutcome(t, check(a, "carol", "wrong-1"), OutcomeUnauthorized)
	expectOutcome(t, check(b, "carol", "wrong-2"), OutcomeUnauthorized)
	expectOutcome(t, check(a, "carol", "wrong-3"), OutcomeThrottled)
	expectOutcome(t, check(b, "carol", "wrong-4"), OutcomeThrottled)
}

// APIs on one directory with different limits do not add their budgets:
// the strictest limit applies to every API while they share the
// directory, and the other API's own limit returns when the strict one is
// gone.
func TestAPIsWithDifferentLimitsShareTheStrictest(t *testing.T) {
	srv := sharedLDAP(t)
	reg := NewRegistry(RegistryOptions{})
	t.Cleanup(reg.Close)
	strict, err := reg.Admit("def-strict", APISource{Info: APIInfo{ID: "strict"}, Config: directConfig(srv, map[string]any{"max_failures": 3.0, "failure_window": "1m"})})
	if err != nil {
		t.Fatal(err)
	}
	lenient, err := reg.Admit("def-lenient", APISource{Info: APIInfo{ID: "lenient"}, Config: directConfig(srv, map[string]any{"max_failures": 4.0, "failure_window": "1m", "realm": "L"})})
	if err != nil {
		t.Fatal(err)
	}
	unauthorized := 0
	for i := range 10 {
		g := strict
		if i%2 == 1 {
			g = lenient
		}
		switch res := check(g, "dave", fmt.Sprintf("wrong-%d", i)); res.Outcome {
		case OutcomeUnauthorized:
			unauthorized++
		case OutcomeThrottled:
		default:
			t.Fatalf("attempt %d: %v", i, res.Outcome)
		}
	}
	if unauthorized != 3 {
		t.Fatalf("%d wrong passwords reached the directory through two APIs with limits 3 and 4, want 3", unauthorized)
	}

	reg.mu.Lock()
	for _, lg := range reg.apis["strict"].gates {
		lg.gate.Close()
	}
	reg.mu.Unlock()
	if got := lenient.accounts.(*state.LocalAttempts).Limits().Max; got != 4 {
		t.Fatalf("after the strict API closed the shared limit is %d, want the lenient API's 4", got)
	}
}

// Lockout tells nobody which usernames exist: in search then bind an
// unknown username is counted and locked like a real account, answer for
// answer, and the right password of the real account is refused as well
// once it is locked.
func TestUnknownUsersLockLikeKnownOnes(t *testing.T) {
	srv := sharedLDAP(t)
	g, _ := newTestGate(t, searchConfig(srv, map[string]any{"max_failures": 3.0, "failure_window": "1m"}))
	for i := range 5 {
		known := check(g, "carol", fmt.Sprintf("wrong-%d", i))
		unknown := check(g, "no-such-user", fmt.Sprintf("wrong-%d", i))
		if known.Outcome != unknown.Outcome {
			t.Fatalf("attempt %d: a real account got %v, an unknown username %v", i+1, known.Outcome, unknown.Outcome)
		}
		want := OutcomeUnauthorized
		if i >= 3 {
			want = OutcomeThrottled
			if unknown.RetryAfter <= 0 || unknown.RetryAfter > time.Minute {
				t.Fatalf("unknown username: RetryAfter %v", unknown.RetryAfter)
			}
		}
		expectOutcome(t, unknown, want)
	}
}

// A pool saturated by the gateway itself is not an outage: the answer is
// 503 with Retry-After, and a cached success is never served stale for it
// (that would let a revoked password in again under load).
func TestBusyDirectoryIsNotServedStale(t *testing.T) {
	srv := sharedLDAP(t)
	cfg := directConfig(srv, map[string]any{"cache_ttl": "1ms", "stale_if_error": "1h"})
	real, err := directory.New(mustConfig(t, cfg).Directory)
	if err != nil {
		t.Fatal(err)
	}
	dir := &switchable{Authenticator: real}
	g, _ := newTestGateWith(t, cfg, GateOptions{Directory: dir})
	expectOutcome(t, check(g, "alice", "alice-pass-1"), OutcomeGranted)
	past := time.Now().Add(10 * time.Millisecond)
	for time.Now().Before(past) {
		runtime.Gosched() // let cache_ttl (1ms) pass
	}
	dir.fail(&directory.Error{Kind: directory.KindBusy, Reason: "all connections busy"})
	res := check(g, "alice", "alice-pass-1")
	expectOutcome(t, res, OutcomeBusy)
	w := httptest.NewRecorder()
	g.WriteDenial(w, res)
	if w.Code != 503 || w.Header().Get("Retry-After") == "" {
		t.Fatalf("busy answered %d Retry-After=%q", w.Code, w.Header().Get("Retry-After"))
	}
	dir.fail(&directory.Error{Kind: directory.KindUnavailable, Reason: "no answer"})
	expectOutcome(t, check(g, "alice", "alice-pass-1"), OutcomeGranted) // an outage is served stale
}

// A panic inside the directory check reaches the caller (the plugin
// boundary answers 500), releases merged waiters, and leaves the gate
// working.
func TestPanicInTheDirectoryCheck(t *testing.T) {
	srv := sharedLDAP(t)
	cfg := directConfig(srv, nil)
	real, err := directory.New(mustConfig(t, cfg).Directory)
	if err != nil {
		t.Fatal(err)
	}
	dir := &switchable{Authenticator: real}
	g, _ := newTestGateWith(t, cfg, GateOptions{Directory: dir})
	dir.panicWith("injected")
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the panic did not reach the caller")
			}
		}()
		check(g, "alice", "alice-pass-1")
	}()
	dir.fail(nil)
	expectOutcome(t, check(g, "alice", "alice-pass-1"), OutcomeGranted)
}

// switchable passes through to a real directory unless told to fail or
// panic.
type switchable struct {
	Authenticator
	mu     sync.Mutex
	err    error
	panics any
}

func (s *switchable) fail(err error) {
	s.mu.Lock()
	s.err, s.panics = err, nil
	s.mu.Unlock()
}

func (s *switchable) panicWith(v any) {
	s.mu.Lock()
	s.panics = v
	s.mu.Unlock()
}

func (s *switchable) Authenticate(ctx context.Context, u, p string, guard directory.BindGuard) (*directory.Identity, error) {
	s.mu.Lock()
	err, panics := s.err, s.panics
	s.mu.Unlock()
	if panics != nil {
		panic(panics)
	}
	if err != nil {
		return nil, err
	}
	return s.Authenticator.Authenticate(ctx, u, p, guard)
}

// One account logging in with many spellings cannot disable caching for
// everyone else.
func TestSpellingsOfOneUserCannotFillTheCache(t *testing.T) {
	srv := sharedLDAP(t)
	g, _ := newTestGate(t, directConfig(srv, map[string]any{"cache_max_entries": 20.0}))
	for i := range 60 {
		spelling := strings.Repeat(" ", i%7) + caseVariant("alice", i) + strings.Repeat(" ", i/7)
		expectOutcome(t, check(g, spelling, "alice-pass-1"), OutcomeGranted)
	}
	expectOutcome(t, check(g, "bob", "bob-pass-1"), OutcomeGranted)
	before := counters(t, srv)
	expectOutcome(t, check(g, "bob", "bob-pass-1"), OutcomeGranted)
	if diff := counters(t, srv).Sub(before); diff.Binds != 0 {
		t.Fatalf("bob was not cached after alice's spelling flood: %+v", diff)
	}
}

func caseVariant(s string, bits int) string {
	b := []byte(s)
	for i := range b {
		if bits&(1<<i) != 0 {
			b[i] = byte(unicode.ToUpper(rune(b[i])))
		}
	}
	return string(b)
}

// A client cannot make a proxy delete the identity headers by naming them
// in Connection, and user_header "" still removes a client's
// X-Authenticated-User.
func TestConnectionHeaderCannotDropIdentity(t *testing.T) {
	srv := sharedLDAP(t)
	tests := []struct {
		name       string
		overrides  map[string]any
		connection []string
		want       []string // Connection values left
	}{
		{"identity header listed", nil, []string{"X-Authenticated-User"}, nil},
		{"mixed tokens", nil, []string{"keep-alive, x-authenticated-user, Authorization", "Upgrade"}, []string{"keep-alive", "Upgrade"}},
		{"underscore spelling", nil, []string{"X_Authenticated_User"}, nil},
		{"groups header listed", map[string]any{"groups_header": "X-Groups", "group_source": "memberof"}, []string{"x-groups,close"}, []string{"close"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := newTestGate(t, directConfig(srv, tt.overrides))
			r := request("alice", "alice-pass-1")
			r.Header["Connection"] = tt.connection
			res := g.Check(r)
			expectOutcome(t, res, OutcomeGranted)
			g.Forward(r, res.Grant)
			if got := r.Header["Connection"]; !slices.Equal(got, tt.want) {
				t.Fatalf("Connection = %q, want %q", got, tt.want)
			}
			if r.Header.Get("X-Authenticated-User") != "alice" {
				t.Fatal("the identity header is missing")
			}
		})
	}
	g, _ := newTestGate(t, directConfig(srv, map[string]any{"user_header": ""}))
	r := request("alice", "alice-pass-1")
	r.Header.Set("X-Authenticated-User", "admin")
	res := g.Check(r)
	expectOutcome(t, res, OutcomeGranted)
	g.Forward(r, res.Grant)
	if v := r.Header.Values("X-Authenticated-User"); len(v) != 0 {
		t.Fatalf("with user_header \"\" a client's X-Authenticated-User survived: %v", v)
	}
}

// TestLinesNameTheServer: the audit line of a denial and the debug line of
// a decision the directory made name the server that answered; a cache hit
// asked no server and names none.
func TestLinesNameTheServer(t *testing.T) {
	srv := sharedLDAP(t)
	g, log := newTestGate(t, directConfig(srv, nil))
	want := `server="` + srv.URL() + `"`
	expectOutcome(t, check(g, "alice", "Wr0ng-Secret-Guess"), OutcomeUnauthorized)
	denied := lineWith(log.all(), "request denied")
	if !strings.Contains(denied, want) {
		t.Fatalf("audit line %q does not say %s", denied, want)
	}
	expectOutcome(t, check(g, "alice", "alice-pass-1"), OutcomeGranted)
	mark := len(log.all())
	expectOutcome(t, check(g, "alice", "alice-pass-1"), OutcomeGranted)
	if hit := lineWith(log.all()[mark:], `cache="hit"`); hit == "" || strings.Contains(hit, "server=") {
		t.Fatalf("cache hit line %q: want one naming no server", hit)
	}
	if !strings.Contains(lineWith(log.all()[:mark], `cache="miss"`), want) {
		t.Fatalf("the decision line of a miss does not say %s:\n%s", want, log.all())
	}
}

// lineWith returns the last line of text containing part, or "".
func lineWith(text, part string) string {
	lines := strings.Split(text, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], part) {
			return lines[i]
		}
	}
	return ""
}
