// Package benchreport turns `go test -bench -benchmem` output into the
// performance table of docs/performance.md: each benchmark next to the baseline measured
// in the same run, as a ratio, so numbers from different machines are never
// compared with each other.
package benchreport

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Result is one benchmark at one GOMAXPROCS, the median over -count runs.
type Result struct {
	Name        string // e.g. "HotPath/LDAPAuthCacheHit"
	Procs       int
	NsPerOp     float64
	BytesPerOp  float64
	AllocsPerOp float64
}

// Comparison pairs a benchmark with its baseline.
type Comparison struct {
	Name, Baseline string
	// Throughput: compare operations per second (baseline ns / ns) rather
	// than cost (ns / baseline ns).
	Throughput bool
	Target     string // the goal, for the table
}

// Comparisons are the pairs docs/performance.md reports.
var Comparisons = []Comparison{
	{Name: "HotPath/LDAPAuthCacheHit", Baseline: "HotPath/Floor", Target: "≤ 3x"},
	{Name: "HotPath/LDAPAuthCacheHit", Baseline: "HotPath/NoopPlugin", Target: "close to 1x"},
	{Name: "GateCacheHit/Check", Baseline: "GateCacheHit/Floor", Target: "the plugin's own work"},
	{Name: "GateCacheHit/CheckWatched", Baseline: "GateCacheHit/CheckUnwatched", Target: "1x (a live revocation watch costs a hit nothing)"},
	{Name: "HotPathParallel/LDAPAuthCacheHit", Baseline: "HotPathParallel/NoopPlugin", Target: "no cliff as -cpu grows"},
	{Name: "ColdPath/LDAPAuthNoCache", Baseline: "ColdPath/RawPooledBinds", Throughput: true, Target: "≥ 0.8x"},
	{Name: "ColdPath/LDAPAuthNoCache", Baseline: "ColdPath/RawPooledBindAndRead", Throughput: true, Target: "≥ 0.8x (same LDAP work)"},
	{Name: "ColdPath/LDAPAuthNoCacheRedisCounts", Baseline: "ColdPath/LDAPAuthNoCache", Throughput: true, Target: "≥ 0.95x (failure counts in Redis, one round trip)"},
	{Name: "HotPath/LDAPAuthCacheHitRedisCounts", Baseline: "HotPath/LDAPAuthCacheHit", Target: "1x (a cache hit never touches Redis)"},
	{Name: "Herd/Herd1000", Baseline: "Herd/SingleColdRequest", Target: "one bind for 1000 requests"},
	{Name: "Telemetry/CacheHitOn", Baseline: "Telemetry/CacheHitOff", Target: "stated: OpenTelemetry on vs off, cache hit"},
	{Name: "Telemetry/ColdOn", Baseline: "Telemetry/ColdOff", Throughput: true, Target: "stated: OpenTelemetry on vs off, cold path"},
}

var line = regexp.MustCompile(`^Benchmark(\S+?)(?:-(\d+))?\s+\d+\s+([\d.]+) ns/op(?:\s+([\d.]+) B/op)?(?:\s+([\d.]+) allocs/op)?`)

// Parse reads benchmark output and returns the median of each benchmark.
func Parse(r io.Reader) ([]Result, error) {
	samples := map[string][]Result{}
	var order []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := line.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		res := Result{Name: m[1], Procs: 1}
		if m[2] != "" {
			res.Procs, _ = strconv.Atoi(m[2])
		}
		res.NsPerOp, _ = strconv.ParseFloat(m[3], 64)
		res.BytesPerOp, _ = strconv.ParseFloat(m[4], 64)
		res.AllocsPerOp, _ = strconv.ParseFloat(m[5], 64)
		key := fmt.Sprintf("%s-%d", res.Name, res.Procs)
		if _, seen := samples[key]; !seen {
			order = append(order, key)
		}
		samples[key] = append(samples[key], res)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	out := make([]Result, 0, len(order))
	for _, key := range order {
		out = append(out, median(samples[key]))
	}
	return out, nil
}

func median(rs []Result) Result {
	sort.Slice(rs, func(i, j int) bool { return rs[i].NsPerOp < rs[j].NsPerOp })
	return rs[len(rs)/2]
}

// Table renders the comparisons found in results as a Markdown table.
func Table(results []Result) string {
	find := func(name string, procs int) (Result, bool) {
		for _, r := range results {
			if r.Name == name && r.Procs == procs {
				return r, true
			}
		}
		return Result{}, false
	}
	var b strings.Builder
	b.WriteString("| benchmark | -cpu | ns/op | allocs/op | baseline (same run) | baseline ns/op | baseline allocs/op | ratio | target |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range Comparisons {
		for _, r := range results {
			if r.Name != c.Name {
				continue
			}
			base, ok := find(c.Baseline, r.Procs)
			if !ok || base.NsPerOp == 0 || r.NsPerOp == 0 {
				continue
			}
			ratio, unit := r.NsPerOp/base.NsPerOp, "x time"
			if c.Throughput {
				ratio, unit = base.NsPerOp/r.NsPerOp, "x throughput"
			}
			fmt.Fprintf(&b, "| %s | %d | %.0f | %.0f | %s | %.0f | %.0f | %.2f%s | %s |\n",
				r.Name, r.Procs, r.NsPerOp, r.AllocsPerOp, c.Baseline, base.NsPerOp, base.AllocsPerOp, ratio, " "+unit, c.Target)
		}
	}
	return b.String()
}
