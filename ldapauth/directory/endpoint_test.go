package directory

import (
	"context"
	"slices"
	"testing"
	"time"
)

// testEndpoints are endpoints that never dial: the plan is pure
// bookkeeping.
func testEndpoints(n int, clock *fakeClock) []*endpoint {
	eps := make([]*endpoint, n)
	for i := range eps {
		d := &dialer{srv: Server{URL: "ldap://server" + string(rune('a'+i))}}
		eps[i] = &endpoint{srv: d.srv, service: newPool(d, "service", 1, time.Minute), user: newPool(d, "user", 1, time.Minute), now: clock.now}
	}
	return eps
}

func urlsOf(p *plan) []string {
	out := []string{}
	for _, a := range p.attempts {
		s := a.ep.srv.URL
		if a.probe {
			s += "(probe)"
		}
		out = append(out, s)
	}
	return out
}

func expectPlan(t *testing.T, eps []*endpoint, want ...string) *plan {
	t.Helper()
	p := pickEndpoints(eps)
	if got := urlsOf(p); !slices.Equal(got, append([]string{}, want...)) {
		t.Fatalf("plan %v, want %v", got, want)
	}
	return p
}

func TestFailoverOrderAndBackoff(t *testing.T) {
	clock := newFakeClock()
	eps := testEndpoints(2, clock)
	a := eps[0]

	expectPlan(t, eps, "ldap://servera", "ldap://serverb")
	if retry := a.markDown(false); retry != minBackoff {
		t.Fatalf("first backoff = %v, want %v", retry, minBackoff)
	}
	// While a backs off, only b is tried.
	expectPlan(t, eps, "ldap://serverb")
	// In-flight failures on an already-down server do not lengthen it.
	clock.advance(minBackoff / 2)
	if retry := a.markDown(false); retry != minBackoff/2 {
		t.Fatalf("a concurrent failure reported retry in %v, want the remaining %v", retry, minBackoff/2)
	}
	clock.advance(minBackoff / 2)
	expectPlan(t, eps, "ldap://servera(probe)", "ldap://serverb")
	// Only one request probes at a time.
	expectPlan(t, eps, "ldap://serverb")
	// The probe failed: backoff doubles.
	if retry := a.markDown(true); retry != 2*minBackoff {
		t.Fatalf("second backoff = %v, want %v", retry, 2*minBackoff)
	}
	clock.advance(2*minBackoff - time.Millisecond)
	expectPlan(t, eps, "ldap://serverb")
	clock.advance(time.Millisecond)
	p := expectPlan(t, eps, "ldap://servera(probe)", "ldap://serverb")
	if !p.up(0) {
		t.Fatal("up did not report the recovery")
	}
	p.release()
	expectPlan(t, eps, "ldap://servera", "ldap://serverb")
	// A recovered server starts again from the shortest backoff.
	if retry := a.markDown(false); retry != minBackoff {
		t.Fatalf("backoff after recovery = %v, want %v", retry, minBackoff)
	}
}

func TestBackoffIsCapped(t *testing.T) {
	clock := newFakeClock()
	eps := testEndpoints(1, clock)
	a := eps[0]
	a.markDown(false)
	var got []time.Duration
	for range 8 {
		clock.advance(time.Hour)
		p := expectPlan(t, eps, "ldap://servera(probe)")
		got = append(got, p.down(0))
		p.release()
	}
	want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second}
	if !slices.Equal(got, want) {
		t.Fatalf("backoffs %v, want %v", got, want)
	}
}

// When every server is down the first request still reaches one (so the
// first request after an outage can succeed), but only one request per
// server at a time.
func TestAllDownProbesOneAtATime(t *testing.T) {
	clock := newFakeClock()
	eps := testEndpoints(2, clock)
	eps[0].markDown(false)
	eps[1].markDown(false)
	first := expectPlan(t, eps, "ldap://servera(probe)")
	expectPlan(t, eps, "ldap://serverb(probe)")
	expectPlan(t, eps)
	first.release()
	expectPlan(t, eps, "ldap://servera(probe)")
}

// A settled probe is not released again, and release frees only what is
// unsettled.
func TestPlanSettlesEachProbeOnce(t *testing.T) {
	clock := newFakeClock()
	eps := testEndpoints(2, clock)
	eps[0].markDown(false)
	eps[1].markDown(false)
	clock.advance(minBackoff)
	p := expectPlan(t, eps, "ldap://servera(probe)", "ldap://serverb(probe)")
	p.down(0) // a's probe failed: a backs off for 2s, its claim is gone
	p.release()
	if _, probing := endpointState(eps[0]); probing {
		t.Fatal("a still probing after its probe settled")
	}
	if _, probing := endpointState(eps[1]); probing {
		t.Fatal("b's unsettled probe was not released")
	}
	expectPlan(t, eps, "ldap://serverb(probe)")
}

// Every probe claim is released when Authenticate panics mid-way, so a
// panic can never leave a server "being probed" forever (which would make
// every later request skip it).
func TestProbeReleasedWhenAuthenticatePanics(t *testing.T) {
	srv := sharedLDAP(t)
	for _, st := range strategies {
		for _, op := range []string{"bind", "search"} {
			t.Run(st.name+"/"+op, func(t *testing.T) {
				d := newDirectory(t, st.options(t, srv))
				ep := d.endpoints[0]
				ep.markDown(false) // every later request probes it
				setHook(d, func(o string) {
					if o == op {
						panic(injected{o})
					}
				})
				if got := panicked(func() { _, _ = d.Authenticate(context.Background(), "alice", "alice-pass-1", nil) }); got != (injected{op}) {
					t.Fatalf("panic value %v", got)
				}
				if down, probing := endpointState(ep); !down || probing {
					t.Fatalf("after the panic: down %v, probing %v; want down and no probe claimed", down, probing)
				}
				setHook(d, nil)
				mustAuthenticate(t, d, "alice", "alice-pass-1")
				if down, probing := endpointState(ep); down || probing {
					t.Fatalf("after a successful probe: down %v, probing %v", down, probing)
				}
				poolsIdle(t, d)
			})
		}
	}
}
