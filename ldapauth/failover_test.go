package ldapauth

import (
	"testing"
	"time"
)

func testEndpoints(n int, clock *fakeClock) []*endpoint {
	eps := make([]*endpoint, n)
	for i := range eps {
		d := &dialer{srv: Server{URL: "ldap://server" + string(rune('a'+i))}}
		eps[i] = &endpoint{srv: d.srv, service: newPool(d, 1, time.Minute), user: newPool(d, 1, time.Minute), now: clock.now}
	}
	return eps
}

func urlsOf(as []attempt) []string {
	var out []string
	for _, a := range as {
		s := a.ep.srv.URL
		if a.probe {
			s += "(probe)"
		}
		out = append(out, s)
	}
	return out
}

func TestFailoverOrderAndBackoff(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	eps := testEndpoints(2, clock)
	a, b := eps[0], eps[1]

	if got := urlsOf(pickEndpoints(eps)); len(got) != 2 || got[0] != "ldap://servera" {
		t.Fatalf("healthy order = %v", got)
	}
	if retry := a.markDown(false); retry != minBackoff {
		t.Fatalf("first backoff = %v", retry)
	}
	// While a backs off, only b is tried.
	if got := urlsOf(pickEndpoints(eps)); len(got) != 1 || got[0] != "ldap://serverb" {
		t.Fatalf("during backoff = %v", got)
	}
	// In-flight failures on an already-down server do not lengthen it.
	if retry := a.markDown(false); retry > minBackoff {
		t.Fatalf("concurrent failure extended the backoff to %v", retry)
	}
	clock.advance(minBackoff)
	got := pickEndpoints(eps)
	if urls := urlsOf(got); len(urls) != 2 || urls[0] != "ldap://servera(probe)" {
		t.Fatalf("after backoff = %v", urls)
	}
	// Only one request probes at a time.
	if urls := urlsOf(pickEndpoints(eps)); len(urls) != 1 || urls[0] != "ldap://serverb" {
		t.Fatalf("second request while probing = %v", urls)
	}
	// The probe failed: backoff doubles.
	if retry := a.markDown(true); retry != 2*minBackoff {
		t.Fatalf("second backoff = %v", retry)
	}
	clock.advance(2 * minBackoff)
	pickEndpoints(eps)
	if !a.markUp() {
		t.Fatal("markUp did not report the recovery")
	}
	if urls := urlsOf(pickEndpoints(eps)); len(urls) != 2 || urls[0] != "ldap://servera" {
		t.Fatalf("after recovery = %v", urls)
	}
	_ = b
}

func TestBackoffIsCapped(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	eps := testEndpoints(1, clock)
	a := eps[0]
	a.markDown(false)
	var last time.Duration
	for i := 0; i < 20; i++ {
		clock.advance(time.Hour)
		if got := pickEndpoints(eps); len(got) != 1 || !got[0].probe {
			t.Fatalf("round %d: no probe offered", i)
		}
		last = a.markDown(true)
	}
	if last != maxBackoff {
		t.Fatalf("backoff = %v, want the cap %v", last, maxBackoff)
	}
}

// When every server is down the first request still reaches one (so the
// first request after an outage can succeed), but only one at a time.
func TestAllDownProbesOneAtATime(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	eps := testEndpoints(2, clock)
	eps[0].markDown(false)
	eps[1].markDown(false)
	first := pickEndpoints(eps)
	if urls := urlsOf(first); len(urls) != 1 || urls[0] != "ldap://servera(probe)" {
		t.Fatalf("all down, first request = %v", urls)
	}
	if urls := urlsOf(pickEndpoints(eps)); len(urls) != 1 || urls[0] != "ldap://serverb(probe)" {
		t.Fatalf("all down, second request = %v", urls)
	}
	if got := pickEndpoints(eps); len(got) != 0 {
		t.Fatalf("all down and probed, third request = %v", urlsOf(got))
	}
	releaseProbes(first)
	if urls := urlsOf(pickEndpoints(eps)); len(urls) != 1 || urls[0] != "ldap://servera(probe)" {
		t.Fatalf("after release = %v", urls)
	}
}
