// Command benchreport reads `go test -bench -benchmem` output on stdin and
// prints the README's performance table (benchmarks as ratios of baselines
// measured in the same run). ./build.sh bench pipes into it.
package main

import (
	"fmt"
	"os"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/benchreport"
)

func main() {
	results, err := benchreport.Parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	if len(results) == 0 {
		fmt.Fprintln(os.Stderr, "benchreport: no benchmark results on stdin")
		os.Exit(1)
	}
	fmt.Print(benchreport.Table(results))
}
