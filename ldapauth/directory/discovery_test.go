package directory

import (
	"slices"
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
		return &endpoint{srv: srv, service: newPool(d, 1, time.Minute), user: newPool(d, 1, time.Minute), now: clock.now}
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
