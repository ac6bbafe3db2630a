// Command release builds a release of tyk-ldap-auth for one gateway version
// (./build.sh release runs it): the .so, its bundle, a static
// ldapauth-check and SHA256SUMS in dist/tyk-ldap-auth-<version>-<build id>/.
// The gateway comes from TYK_SRC (or Docker), as for ./build.sh plugin.
//
// Exit status: 0 released; 1 failure; 2 usage; 3 released without the
// bundle (no Tyk bundler: set TYK_BIN).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/release"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("release", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", ".", "repository root")
	dist := fs.String("dist", envOr("DIST_DIR", "dist"), "directory the release directory is made in")
	id := fs.String("build-id", os.Getenv("BUILD_ID"), "build id (default: UTC time and commit)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return 2
	}
	absRoot, err := filepath.Abs(*root)
	if err != nil {
		fmt.Fprintf(stderr, "release: %v\n", err)
		return 1
	}
	absDist, err := filepath.Abs(*dist)
	if err != nil {
		fmt.Fprintf(stderr, "release: %v\n", err)
		return 1
	}
	res, err := release.Run(release.Options{Root: absRoot, Dist: absDist, BuildID: *id, Env: os.Environ(), Stdout: stdout, Stderr: stderr})
	if res == nil {
		fmt.Fprintf(stderr, "release: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "\nrelease: tyk-ldap-auth %s, build %s, for Tyk %s, in %s\n", res.Version, res.BuildID, res.Gateway, res.Dir)
	for _, f := range res.Files {
		fmt.Fprintf(stdout, "  %s\n", f)
	}
	fmt.Fprintf(stdout, "  SHA256SUMS (verify: cd %s && sha256sum -c SHA256SUMS)\n", res.Dir)
	so := ""
	for _, f := range res.Files {
		if strings.HasSuffix(f, ".so") && !strings.Contains(f, string(filepath.Separator)) {
			so = f
		}
	}
	fmt.Fprintf(stdout, "API path for the .so: /opt/tyk-gateway/middleware/ldapauth-%s.so (copy %s there)\n", res.BuildID, so)
	if errors.Is(err, release.ErrNoBundler) {
		fmt.Fprintf(stderr, "release: %v\n", err)
		return 3
	}
	return 0
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
