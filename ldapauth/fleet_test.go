package ldapauth

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/redistest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/internal/logx"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/state"
)

const fleetSecret = "fleet-wide-session-secret-0123"

// node is one gateway process: its own registry, so its own gates, pools,
// caches and in-process counters.
func node(t *testing.T, raw map[string]any) *Gate {
	t.Helper()
	reg := NewRegistry(RegistryOptions{})
	t.Cleanup(reg.Close)
	g, err := reg.Admit(new(int), APISource{Info: APIInfo{ID: "fleet-api", OrgID: "default"}, Config: raw})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func fleetConfig(srv *slapdtest.Server, redisURL string, overrides map[string]any) map[string]any {
	return merge(searchConfig(srv, map[string]any{
		"shared_state": "redis", "redis_url": redisURL, "session_key_secret": fleetSecret,
		"max_failures": 3.0, "failure_window": "1m",
	}), overrides)
}

// bindsFor counts binds for dn in a slapd counter difference, whatever
// spelling of the DN was sent.
func bindsFor(c slapdtest.Counts, dn string) int {
	n := 0
	for sent, k := range c.BindsByDN {
		if directory.NormalizeDN(sent) == directory.NormalizeDN(dn) {
			n += k
		}
	}
	return n
}

// burst sends one request per password at once, spread round robin over
// the gates, and returns the outcomes.
func burst(gates []*Gate, user string, passwords []string) map[Outcome]int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[Outcome]int{}
	start := make(chan struct{})
	for i, pw := range passwords {
		g, r := gates[i%len(gates)], request(user, pw)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			o := g.Check(r).Outcome
			mu.Lock()
			counts[o]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return counts
}

// warmRedis has every node use Redis once before a measurement. A node's
// first calls dial and load the scripts, which a loaded machine can push
// past redis_timeout; a node that saw a call time out counts on its own
// until its probe finds Redis again (1 s later), which is not what the
// bound checks measure.
func warmRedis(t *testing.T, gates []*Gate) {
	t.Helper()
	for _, g := range gates {
		expectOutcome(t, check(g, "test", "test123"), OutcomeGranted)
	}
}

func guesses(n int, prefix string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return out
}

// Two nodes sharing one Redis hold one bound: a burst of wrong passwords
// spread over both puts at most max_failures binds into slapd.
func TestFleetSharesTheBound(t *testing.T) {
	srv := sharedLDAP(t)
	rds := redistest.StartT(t)
	raw := fleetConfig(srv, rds.URL(), nil)
	gates := []*Gate{node(t, raw), node(t, merge(raw, nil))}
	warmRedis(t, gates)
	before := counters(t, srv)
	counts := burst(gates, "alice", guesses(120, "fleet"))
	binds := bindsFor(counters(t, srv).Sub(before), "uid=alice,ou=people,dc=example,dc=org")
	if binds > 3 {
		t.Fatalf("%d binds for alice across two nodes, max_failures is 3 (outcomes %v)", binds, counts)
	}
	if counts[OutcomeThrottled] != 120-binds || counts[OutcomeUnauthorized] != binds {
		t.Fatalf("outcomes %v for %d binds", counts, binds)
	}
	// Locked on both nodes, for the right password too.
	for i, g := range gates {
		expectOutcome(t, check(g, "alice", "alice-pass-1"), OutcomeThrottled)
		t.Logf("node %d: alice locked", i)
	}
}

// Redis dying mid-burst costs no 5xx: the nodes count locally (each holds
// its own bound), and after Redis returns they share counts again.
func TestFleetSurvivesARedisOutage(t *testing.T) {
	srv := sharedLDAP(t)
	rds := redistest.StartT(t)
	raw := fleetConfig(srv, rds.URL(), map[string]any{"redis_timeout": "200ms"})
	gates := []*Gate{node(t, raw), node(t, merge(raw, nil))}
	first := burst(gates, "bob", guesses(40, "before"))
	if err := rds.Kill(); err != nil {
		t.Fatal(err)
	}
	before := counters(t, srv)
	during := burst(gates, "carol", guesses(60, "during"))
	for o := range during {
		if o.Status() >= 500 {
			t.Fatalf("a Redis outage caused %v (outcomes %v)", o, during)
		}
	}
	// Each node counts alone now: at most max_failures per node.
	if binds := bindsFor(counters(t, srv).Sub(before), "uid=carol,ou=people,dc=example,dc=org"); binds > 3*len(gates) {
		t.Fatalf("%d binds for carol during the outage with two nodes counting locally", binds)
	}
	expectOutcome(t, check(gates[0], "test", "test123"), OutcomeGranted) // logins still work
	if err := rds.Restart(); err != nil {
		t.Fatal(err)
	}
	// Once the nodes' probes find Redis back, the fleet-wide bound holds
	// again for a fresh account.
	deadline := time.Now().Add(40 * time.Second)
	for {
		before = counters(t, srv)
		counts := burst(gates, "dave", guesses(40, fmt.Sprint("after-", time.Now().UnixNano())))
		binds := bindsFor(counters(t, srv).Sub(before), "uid=dave,ou=people,dc=example,dc=org")
		if binds <= 3 && counts[OutcomeThrottled] > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the nodes did not share counts again after Redis came back (%d binds, %v)", binds, counts)
		}
		resetAccount(t, srv, "uid=dave,ou=people,dc=example,dc=org")
		time.Sleep(200 * time.Millisecond) // poll: the probe backoff runs on its own clock
	}
	_ = first
}

// resetAccount is a no-op for slapd without a password policy; it exists
// so the retry loop above reads as what it does.
func resetAccount(*testing.T, *slapdtest.Server, string) {}

// Password spraying: wrong passwords from one client across many users hit
// max_failures_per_client; other clients are unaffected, and the account
// bound still applies per user.
func TestPerClientLimit(t *testing.T) {
	srv := sharedLDAP(t)
	g, log := newTestGate(t, directConfig(srv, map[string]any{"max_failures_per_client": 4.0, "client_failure_window": "1m"}))
	users := []string{"alice", "bob", "carol", "dave", "test", "jsmith"}
	from := func(ip, user, pass string) Result {
		r := request(user, pass)
		r.RemoteAddr = ip + ":40000"
		return g.Check(r)
	}
	var outcomes []Outcome
	for i, u := range users {
		outcomes = append(outcomes, from("192.0.2.7", u, fmt.Sprint("spray-", i)).Outcome)
	}
	want := []Outcome{OutcomeUnauthorized, OutcomeUnauthorized, OutcomeUnauthorized, OutcomeUnauthorized, OutcomeThrottled, OutcomeThrottled}
	if fmt.Sprint(outcomes) != fmt.Sprint(want) {
		t.Fatalf("spraying from one client: %v, want %v", outcomes, want)
	}
	if res := from("192.0.2.7", "alice", "alice-pass-1"); res.Outcome != OutcomeThrottled || res.RetryAfter <= 0 {
		t.Fatalf("the sprayer's own correct password: %+v, want 429", res)
	}
	expectOutcome(t, from("198.51.100.9", "alice", "alice-pass-1"), OutcomeGranted)
	if n := log.count(`event="locked"`); n != 1 {
		t.Fatalf("%d lock audit lines, want 1:\n%s", n, log.all())
	}
}

// Every denial is one audit line with the API, user, client address,
// outcome and reason, never a password or a header value; audit_log false
// turns them off.
func TestAuditTrail(t *testing.T) {
	srv := sharedLDAP(t)
	g, log := newTestGate(t, directConfig(srv, map[string]any{"max_failures": 2.0}))
	mk := func(user, pass string) *http.Request {
		r := request(user, pass)
		r.RemoteAddr = "203.0.113.5:5555"
		return r
	}
	malformed := mk("x", "y")
	malformed.Header.Set("Authorization", "Basic !!!")
	g.Check(malformed)
	g.Check(mk("carol", "Secret-Guess-1"))
	g.Check(mk("carol", "Secret-Guess-2"))
	g.Check(mk("carol", "Secret-Guess-3"))
	g.Check(mk("alice", "alice-pass-1"))
	lines := strings.Split(log.all(), "\n")
	var denied []string
	for _, l := range lines {
		if strings.Contains(l, `event="denied"`) {
			denied = append(denied, l)
		}
	}
	if len(denied) != 4 {
		t.Fatalf("%d denial lines for 4 denials:\n%s", len(denied), log.all())
	}
	for _, want := range []string{`api_id="api-test"`, `client_ip="203.0.113.5"`, `outcome="unauthorized"`, `outcome="throttled"`, `user="carol"`, `reason="invalid credentials`, `reason="credentials rejected: credentials are not valid base64"`} {
		if !strings.Contains(strings.Join(denied, "\n"), want) {
			t.Errorf("no denial line carries %s:\n%s", want, strings.Join(denied, "\n"))
		}
	}
	if log.count(`event="locked"`) != 1 {
		t.Errorf("no lock line:\n%s", log.all())
	}
	for _, secret := range []string{"Secret-Guess-1", "alice-pass-1", "Basic "} {
		if strings.Contains(log.all(), secret) {
			t.Fatalf("the audit trail contains %q", secret)
		}
	}
	quiet, qlog := newTestGate(t, directConfig(srv, map[string]any{"audit_log": false}))
	quiet.Check(mk("carol", "wrong"))
	if qlog.count(`event=`) != 0 {
		t.Fatalf("audit_log false still audits:\n%s", qlog.all())
	}
}

// A client that hangs up mid-request does not move a node to counting on
// its own: the per-client lock lookup and the attempts of requests whose
// context is already cancelled still go to Redis, so the other node sees
// the client's failures and refuses it.
func TestFleetCountsClientsThatHangUp(t *testing.T) {
	srv := sharedLDAP(t)
	rds := redistest.StartT(t)
	raw := fleetConfig(srv, rds.URL(), map[string]any{"max_failures": 100.0, "max_failures_per_client": 3.0, "client_failure_window": "1m"})
	a, b := node(t, raw), node(t, merge(raw, nil))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, user := range []string{"alice", "bob", "carol"} {
		r := request(user, "hung-up-guess").WithContext(ctx)
		expectOutcome(t, a.Check(r), OutcomeUnauthorized)
	}
	expectOutcome(t, check(b, "dave", "another-guess"), OutcomeThrottled)
}

// When every Redis connection of the node is in use, a cold check is the
// node's saturation: 503 with Retry-After, no bind, and Redis stays the
// node's counter (no fallback that would let the check through uncounted
// fleet-wide).
func TestFleetRedisPoolExhaustedIsBusy(t *testing.T) {
	srv := sharedLDAP(t)
	rds := redistest.StartT(t)
	const timeout = 300 * time.Millisecond
	client, err := state.NewRedisClient(state.RedisOptions{Addrs: []string{rds.Addr()}}, timeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	cfg := mustConfig(t, searchConfig(srv, map[string]any{"max_failures": 3.0}))
	remote, err := state.NewRedisAttempts(client, "ldapauth:", accountLimits(cfg), timeout)
	if err != nil {
		t.Fatal(err)
	}
	local := state.NewLocalAttempts(accountLimits(cfg), 0)
	g, err := NewGate(APIInfo{ID: "busy-redis"}, cfg, GateOptions{Accounts: state.NewFailover(remote, local, logx.Discard())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	expectOutcome(t, check(g, "alice", "alice-pass-1"), OutcomeGranted)

	ctx := context.Background()
	var held sync.WaitGroup
	for range 16 { // NewRedisClient's pool size
		held.Add(1)
		go func() { defer held.Done(); client.BLPop(ctx, 30*time.Second, "hold") }()
	}
	deadline := time.Now().Add(5 * time.Second)
	for st := client.PoolStats(); st.TotalConns < 16 || st.IdleConns > 0; st = client.PoolStats() {
		if time.Now().After(deadline) {
			t.Fatalf("the pool did not fill: %+v", st)
		}
		time.Sleep(5 * time.Millisecond) // polling the pool's state
	}
	before := counters(t, srv)
	res := check(g, "bob", "bob-pass-1")
	expectOutcome(t, res, OutcomeBusy)
	if res.RetryAfter <= 0 {
		t.Fatal("busy answer without Retry-After")
	}
	if n := bindsFor(counters(t, srv).Sub(before), "uid=bob,ou=people,dc=example,dc=org"); n != 0 {
		t.Fatalf("%d binds for bob while his attempt could not be reserved", n)
	}
	pusher := redis.NewClient(&redis.Options{Addr: rds.Addr()})
	defer pusher.Close()
	if err := pusher.RPush(ctx, "hold", make([]any, 16)...).Err(); err != nil {
		t.Fatal(err)
	}
	held.Wait()
	expectOutcome(t, check(g, "bob", "bob-pass-1"), OutcomeGranted)
}
