package directory

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/internal/logx"
)

func TestSRVNames(t *testing.T) {
	cases := []struct {
		opts DiscoveryOptions
		want []string
	}{
		{DiscoveryOptions{Domain: "corp.example.org."}, []string{"_ldap._tcp.dc._msdcs.corp.example.org", "_ldap._tcp.corp.example.org"}},
		{DiscoveryOptions{Domain: "corp.example.org", Site: "Berlin"}, []string{
			"_ldap._tcp.Berlin._sites.dc._msdcs.corp.example.org", "_ldap._tcp.dc._msdcs.corp.example.org", "_ldap._tcp.corp.example.org"}},
	}
	for _, tc := range cases {
		if got := tc.opts.SRVNames(); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.opts, got, tc.want)
		}
	}
}

// draws returns a randN that yields the given values in turn (each must be
// below n), and fails the test if more are asked for.
func draws(t *testing.T, values ...int) func(int) int {
	return func(n int) int {
		t.Helper()
		if len(values) == 0 {
			t.Fatalf("more draws than expected (n=%d)", n)
		}
		v := values[0]
		values = values[1:]
		if v >= n {
			t.Fatalf("draw %d not below %d", v, n)
		}
		return v
	}
}

func targets(recs []SRVRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Target
	}
	return out
}

// TestOrderSRV: RFC 2782's selection: lower priority first; within one,
// the running sum of weights (zero weights first) picks the first record
// whose sum reaches a draw in [0, total].
func TestOrderSRV(t *testing.T) {
	recs := []SRVRecord{
		{Target: "backup", Priority: 20, Weight: 0},
		{Target: "a", Priority: 10, Weight: 60},
		{Target: "b", Priority: 10, Weight: 40},
		{Target: "zero", Priority: 10, Weight: 0},
	}
	cases := []struct {
		name  string
		draws []int
		want  []string
	}{
		// Group 10 ordered zero, a, b: sums 0, 60, 100.
		{"draw 0 picks the zero weight", []int{0, 1, 0}, []string{"zero", "a", "b", "backup"}},
		{"draw 60 picks a", []int{60, 0, 0}, []string{"a", "zero", "b", "backup"}},
		{"draw 61 picks b", []int{61, 1, 0}, []string{"b", "a", "zero", "backup"}},
		{"draw 100 picks b", []int{100, 0, 0}, []string{"b", "zero", "a", "backup"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The lone record of priority 20 has total weight 0: no draw.
			got := targets(orderSRV(recs, draws(t, tc.draws...)))
			if !slices.Equal(got, tc.want) {
				t.Fatalf("order %v, want %v", got, tc.want)
			}
		})
	}
}

// TestOrderSRVShares: over many draws, weights 3:1 put the first server
// first about three times as often.
func TestOrderSRVShares(t *testing.T) {
	recs := []SRVRecord{{Target: "heavy", Weight: 300}, {Target: "light", Weight: 100}}
	first := map[string]int{}
	// Every draw in [0, 400] once: the RFC's selection is exact over them.
	for d := range 401 {
		first[orderSRV(recs, func(int) int { return d })[0].Target]++
	}
	if first["heavy"] != 301 || first["light"] != 100 {
		t.Fatalf("first places %v, want heavy 301, light 100", first)
	}
}

// TestAdoptDrains: a new resolution keeps the endpoints (and their health)
// of servers still listed, makes new ones for new servers, and closes the
// pools of servers gone from DNS.
func TestAdoptDrains(t *testing.T) {
	clock := newFakeClock()
	build := func(srv Server) *endpoint {
		d := &dialer{srv: srv}
		return &endpoint{srv: srv, service: newPool(d, "service", 1, time.Minute), user: newPool(d, "user", 1, time.Minute), now: clock.now}
	}
	s := &discovered{build: build, log: logx.Discard()}
	srvA := Server{URL: "ldaps://a.corp.example.org:636", Addr: "[::1]:636"}
	srvB := Server{URL: "ldaps://b.corp.example.org:636", Addr: "127.0.0.1:636"}
	srvB2 := Server{URL: srvB.URL, Addr: "127.0.0.2:636"}
	s.adopt(&Resolution{Servers: []Server{srvA, srvB}})
	first := s.current.Load().endpoints
	first[0].markDown(false)

	s.adopt(&Resolution{Servers: []Server{srvB2, srvA}})
	second := s.current.Load().endpoints
	if second[1] != first[0] {
		t.Fatal("a's endpoint was replaced although a is still listed")
	}
	if down, _ := endpointState(second[1]); !down {
		t.Fatal("a lost its health state on a refresh")
	}
	if second[0] == first[1] {
		t.Fatal("b moved to another address but kept its endpoint")
	}
	if !first[1].user.closed || !first[1].service.closed {
		t.Fatal("b's old endpoint was not drained")
	}
	if first[0].user.closed || second[0].user.closed {
		t.Fatal("a listed endpoint was closed")
	}
}

// TestRefreshRecoversPanics: a panic while looking up is a failed lookup:
// logged, retried with backoff, and the first requests stop waiting.
func TestRefreshRecoversPanics(t *testing.T) {
	s := &discovered{opts: DiscoveryOptions{Domain: "corp.example.org"}, log: logx.Discard(), ready: make(chan struct{})}
	// No DNS client: the lookup dereferences nil.
	var backoff time.Duration
	next := s.refresh(context.Background(), &backoff)
	if next != minRefresh || s.lastErr == nil || !strings.Contains(s.lastErr.Error(), "panic") {
		t.Fatalf("next %v, last error %v; want a retry in %v after a recorded panic", next, s.lastErr, minRefresh)
	}
	select {
	case <-s.ready:
	default:
		t.Fatal("requests still wait for the first lookup")
	}
}

// TestDiscoveryWithoutDNS: when the DNS server does not answer, requests
// fail as unavailable (never hang), and Close ends the refresher.
func TestDiscoveryWithoutDNS(t *testing.T) {
	opts := Options{
		Discovery:         &DiscoveryOptions{Domain: "corp.example.org", DNSServer: closedUDPAddr(t)},
		UsernameAttribute: "uid", BindTemplate: mustBindTemplate(t, "uid={username},ou=people,dc=example,dc=org"),
		DialTimeout: 200 * time.Millisecond, RequestTimeout: 200 * time.Millisecond,
	}
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Authenticate(context.Background(), "alice", "secret", nil)
	if KindOf(err) != KindUnavailable || !strings.Contains(err.Error(), "DNS") {
		t.Fatalf("error %v, want unavailable naming DNS", err)
	}
	if d.Discovered() != nil {
		t.Fatal("a resolution without an answer")
	}
	closed := make(chan struct{})
	go func() { d.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	select {
	case <-d.dns.done:
	default:
		t.Fatal("the refresher outlived Close")
	}
}

// closedUDPAddr is a loopback UDP address nothing listens on.
func closedUDPAddr(t *testing.T) string {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := c.LocalAddr().String()
	c.Close()
	return addr
}
