// Command gatewayfacts writes the facts the dependency check needs about one
// Tyk gateway release (its go line, and every module its go.mod selects with
// the replacement that applies) from that release's go.mod, so the check can
// run without the gateway's source:
//
//	git -C ~/src/tyk show v5.8.0:go.mod |
//	  go run ./internal/depcheck/cmd/gatewayfacts -release v5.8.0 >internal/depcheck/testdata/gateways/v5.8.0.txt
//
// -gomod FILE reads a go.mod file instead of stdin. Exit status: 0 written,
// 2 usage or read error.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/depcheck"
)

// gatewayModule is the module path a Tyk gateway go.mod must declare.
const gatewayModule = "github.com/TykTechnologies/tyk"

var releaseRE = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+$`)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gatewayfacts", flag.ContinueOnError)
	fs.SetOutput(stderr)
	release := fs.String("release", "", "the gateway release the go.mod belongs to, vX.Y.Z (its git tag)")
	gomod := fs.String("gomod", "", "the gateway's go.mod (default: read stdin)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if !releaseRE.MatchString(*release) || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: gatewayfacts -release vX.Y.Z [-gomod FILE] (go.mod on stdin without -gomod)")
		return 2
	}

	var (
		data   []byte
		err    error
		source = *gomod
	)
	if source == "" {
		source = "go.mod (stdin)"
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(source)
	}
	if err != nil {
		fmt.Fprintf(stderr, "gatewayfacts: %v\n", err)
		return 2
	}
	info, err := depcheck.ParseGoMod(source, data)
	if err != nil {
		fmt.Fprintf(stderr, "gatewayfacts: %v\n", err)
		return 2
	}
	if info.MainModule != gatewayModule {
		fmt.Fprintf(stderr, "gatewayfacts: %s is the go.mod of %s, not of %s\n", source, info.MainModule, gatewayModule)
		return 2
	}
	origin := []string{
		fmt.Sprintf("Derived from the go.mod of %s at tag %s (go line, required modules, replacements that apply), with:", gatewayModule, *release),
		fmt.Sprintf("git -C TYK_CHECKOUT show %s:go.mod | go run ./internal/depcheck/cmd/gatewayfacts -release %s", *release, *release),
	}
	if err := depcheck.WriteFacts(stdout, info, "Tyk gateway "+*release, origin); err != nil {
		fmt.Fprintf(stderr, "gatewayfacts: %v\n", err)
		return 2
	}
	return 0
}
