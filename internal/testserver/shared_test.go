package testserver

import (
	"errors"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
)

type fakeServer struct{ stops *int }

func (f fakeServer) Stop() error { *f.stops++; return nil }

// Shared starts once, hands the same server to every caller, remembers a
// failed start, and Stop stops what was started exactly once.
func TestSharedStartsOnceAndStops(t *testing.T) {
	var s Shared[fakeServer]
	starts, stops := 0, 0
	start := func() (fakeServer, error) { starts++; return fakeServer{&stops}, nil }
	for range 3 {
		s.Get(t, "fake", start)
	}
	if starts != 1 {
		t.Fatalf("%d starts for three Gets, want 1", starts)
	}
	if err := s.Stop(); err != nil || stops != 1 {
		t.Fatalf("Stop: %v, %d stops", err, stops)
	}
	if err := s.Stop(); err != nil || stops != 1 {
		t.Fatalf("a second Stop stopped again (%d) or failed (%v)", stops, err)
	}

	var failing Shared[fakeServer]
	tries := 0
	boom := func() (fakeServer, error) { tries++; return fakeServer{}, errors.New("boom") }
	for range 2 {
		msg, failed := testutil.CatchFatal(t, func(tb testing.TB) { failing.Get(tb, "fake", boom) })
		if !failed || !strings.Contains(msg, "boom") {
			t.Fatalf("Get on a failed start: failed %v, %q", failed, msg)
		}
	}
	if tries != 1 {
		t.Fatalf("%d start attempts after a failure, want 1", tries)
	}
}
