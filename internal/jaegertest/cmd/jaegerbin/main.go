// Command jaegerbin builds the Jaeger the tests use (once per machine, see
// internal/jaegertest) and prints its path, so ./build.sh test can build it
// while other steps run and hand it to every test process as JAEGER_BIN.
package main

import (
	"fmt"
	"os"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/jaegertest"
)

func main() {
	bin, err := jaegertest.Binary()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(bin)
}
