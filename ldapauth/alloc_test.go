//go:build !race

// Allocation checks run without the race detector: under -race sync.Pool
// drops items on purpose and the counts mean nothing. ./build.sh test runs
// them in a separate, non-race step.

package ldapauth

import (
	"testing"
)

// Parsing must not allocate: it runs on every request, including the cache
// hits that are meant to cost next to nothing.
func TestAllocParseBasic(t *testing.T) {
	header := basic("alice:correct horse battery staple")
	var buf CredentialsBuffer
	allocs := testing.AllocsPerRun(100, func() {
		if _, _, err := ParseBasic(header, &buf); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("ParseBasic allocates %v times per call, want 0", allocs)
	}
}

// A cache hit through the whole Gate allocates nothing: header cleanup,
// parsing, the MAC and the lookup all run on pooled or stack memory.
func TestAllocCacheHit(t *testing.T) {
	srv := sharedLDAP(t)
	g, err := NewGate(APIInfo{ID: "alloc"}, mustConfig(t, directConfig(srv, nil)), GateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	r := request("alice", "alice-pass-1")
	expectOutcome(t, g.Check(r), OutcomeGranted) // fills the cache
	allocs := testing.AllocsPerRun(200, func() {
		if g.Check(r).Outcome != OutcomeGranted {
			t.Fatal("miss")
		}
	})
	if allocs != 0 {
		t.Fatalf("a cache hit allocates %v times, want 0", allocs)
	}
}
