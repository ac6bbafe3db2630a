package benchreport

import (
	"strings"
	"testing"
)

const sample = `goos: linux
BenchmarkHotPath/Floor-2         	 1530640	       800.0 ns/op	     480 B/op	       5 allocs/op
BenchmarkHotPath/Floor-2         	 1530640	       760.0 ns/op	     480 B/op	       5 allocs/op
BenchmarkHotPath/Floor-2         	 1530640	       900.0 ns/op	     480 B/op	       5 allocs/op
BenchmarkHotPath/NoopPlugin-2    	 1494584	       1000 ns/op	     600 B/op	       5 allocs/op
BenchmarkHotPath/LDAPAuthCacheHit-2         	  459907	      2000 ns/op	    1384 B/op	      10 allocs/op
BenchmarkHotPathParallel/NoopPlugin-8    	 1494584	       500 ns/op	     600 B/op	       5 allocs/op
BenchmarkHotPathParallel/LDAPAuthCacheHit-8    	 1494584	       1000 ns/op	     600 B/op	       10 allocs/op
BenchmarkColdPath/RawPooledBinds-2	   13874	    150000 ns/op	    5220 B/op	     116 allocs/op
BenchmarkColdPath/LDAPAuthNoCache-2	   25624	    200000 ns/op	    4281 B/op	      72 allocs/op
BenchmarkHerd/SingleColdRequest	20	   1000000 ns/op
PASS
`

func TestParseTakesMedians(t *testing.T) {
	results, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 8 {
		t.Fatalf("got %d results, want 8: %+v", len(results), results)
	}
	tests := []struct {
		name   string
		procs  int
		ns     float64
		allocs float64
	}{
		{"HotPath/Floor", 2, 800, 5},
		{"HotPath/LDAPAuthCacheHit", 2, 2000, 10},
		{"HotPathParallel/LDAPAuthCacheHit", 8, 1000, 10},
		{"Herd/SingleColdRequest", 1, 1e6, 0},
	}
	for _, tt := range tests {
		found := false
		for _, r := range results {
			if r.Name == tt.name && r.Procs == tt.procs {
				found = true
				if r.NsPerOp != tt.ns || r.AllocsPerOp != tt.allocs {
					t.Errorf("%s-%d: %v ns %v allocs, want %v %v", tt.name, tt.procs, r.NsPerOp, r.AllocsPerOp, tt.ns, tt.allocs)
				}
			}
		}
		if !found {
			t.Errorf("%s-%d missing", tt.name, tt.procs)
		}
	}
}

func TestTableRatios(t *testing.T) {
	results, _ := Parse(strings.NewReader(sample))
	table := Table(results)
	for _, want := range []string{
		"| HotPath/LDAPAuthCacheHit | 2 | 2000 | 10 | HotPath/Floor | 800 | 5 | 2.50 x time |",
		"| HotPath/LDAPAuthCacheHit | 2 | 2000 | 10 | HotPath/NoopPlugin | 1000 | 5 | 2.00 x time |",
		"| HotPathParallel/LDAPAuthCacheHit | 8 | 1000 | 10 | HotPathParallel/NoopPlugin | 500 | 5 | 2.00 x time |",
		"| ColdPath/LDAPAuthNoCache | 2 | 200000 | 72 | ColdPath/RawPooledBinds | 150000 | 116 | 0.75 x throughput |",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, "Herd/Herd1000") {
		t.Error("a comparison without its benchmark was printed")
	}
}
