// Package bench holds the plugin's benchmarks against baselines measured in
// the same run (see docs/performance.md). It has no non-test code besides
// this file; it builds only in the test workspace, because the benchmarks
// load the real plugin through Go's plugin runtime.
package bench
