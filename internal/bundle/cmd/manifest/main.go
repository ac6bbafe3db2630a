// Command manifest writes the manifest.json of a Tyk bundle for one built
// plugin file, next to that file, ready for `tyk bundle build`:
//
//	manifest -so dist/ldapauth-42/ldapauth_v5.8.12_linux_amd64.so -symbol LDAPAuth
//
// It prints the path of the written manifest. Exit status 2 on any error.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/bundle"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("manifest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	so := fs.String("so", "", "the plugin file to bundle; manifest.json is written in its directory")
	symbol := fs.String("symbol", "LDAPAuth", "the exported auth function")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *so == "" || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: manifest -so DIR/NAME_vX.Y.Z_GOOS_GOARCH.so [-symbol LDAPAuth]")
		return 2
	}
	m, err := bundle.New(filepath.Base(*so), *symbol)
	if err != nil {
		fmt.Fprintf(stderr, "manifest: %v\n", err)
		return 2
	}
	path, err := bundle.Write(filepath.Dir(*so), m)
	if err != nil {
		fmt.Fprintf(stderr, "manifest: %v\n", err)
		return 2
	}
	fmt.Fprintf(stdout, "%s: driver %s, auth_check %s in %s, file_list %v\n",
		path, m.CustomMiddleware.Driver, m.CustomMiddleware.AuthCheck.Name, m.CustomMiddleware.AuthCheck.Path, m.FileList)
	return 0
}
