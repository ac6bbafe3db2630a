// Command depcheck fails when a built Go plugin would not load into a given
// Tyk gateway: different Go release, different code-changing build settings,
// or a different version of any module the two share.
//
//	depcheck -plugin dist/ldapauth_v5.8.12_linux_amd64.so -gateway /opt/tyk-gateway/tyk
//	(cd $TYK_SRC && GOWORK=off go list -m all) | depcheck -plugin x.so -gateway-modules -
//
// -plugin and -gateway accept the binary itself or a saved `go version -m`
// output. Exit status: 0 loadable, 1 mismatch, 2 usage or read error.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/depcheck"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// releaseSettingKeys are checked against the flags every released gateway is
// built with when only the gateway's module list is known.
var releaseSettingKeys = []string{"-trimpath", "CGO_ENABLED", "-tags", "-race"}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("depcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pluginPath := fs.String("plugin", "", "the built plugin (.so), or a file holding its `go version -m` output")
	gatewayPath := fs.String("gateway", "", "the gateway binary, or a file holding its `go version -m` output")
	modulesPath := fs.String("gateway-modules", "", "`go list -m all` output of the gateway source (- for stdin), when no gateway binary exists")
	tags := fs.String("tags", "goplugin", "with -gateway-modules: the build tags the gateway binary is built with")
	module := fs.String("module", "", "the module path the plugin must have (checks that a build id rename took effect)")
	verbose := fs.Bool("v", false, "list the shared modules")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: depcheck -plugin FILE (-gateway FILE | -gateway-modules FILE) [-tags goplugin] [-module PATH] [-v]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *pluginPath == "" || (*gatewayPath == "") == (*modulesPath == "") || fs.NArg() != 0 {
		fs.Usage()
		return 2
	}

	plugin, err := depcheck.ReadFile(*pluginPath)
	if err != nil {
		fmt.Fprintf(stderr, "depcheck: read plugin: %v\n", err)
		return 2
	}
	var gateway *depcheck.Info
	if *gatewayPath != "" {
		gateway, err = depcheck.ReadFile(*gatewayPath)
	} else {
		gateway, err = readModList(*modulesPath, stdin)
	}
	if err != nil {
		fmt.Fprintf(stderr, "depcheck: read gateway: %v\n", err)
		return 2
	}

	report := depcheck.Compare(plugin, gateway)
	if *modulesPath != "" {
		want := map[string]string{"-trimpath": "true", "CGO_ENABLED": "1", "-tags": *tags}
		report.Problems = append(report.Problems, depcheck.ExpectSettings(plugin, want, releaseSettingKeys)...)
		for i, n := range report.Notes {
			if strings.HasPrefix(n, "build settings not compared") {
				report.Notes[i] = fmt.Sprintf("build settings compared with those of released gateways (-trimpath, CGO_ENABLED=1, no -race, -tags=%s), not with a binary", *tags)
			}
		}
	}
	if *module != "" && plugin.MainModule != *module {
		report.Problems = append(report.Problems, depcheck.Problem{
			Kind: depcheck.KindPlugin, Name: plugin.Source,
			Plugin: fmt.Sprintf("has module path %q, want %q", plugin.MainModule, *module),
		})
	}
	printReport(stdout, plugin, gateway, report, *verbose)
	if !report.OK() {
		return 1
	}
	return 0
}

func readModList(path string, stdin io.Reader) (*depcheck.Info, error) {
	var (
		b   []byte
		err error
	)
	if path == "-" {
		b, err = io.ReadAll(stdin)
		path = "go list -m all (stdin)"
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	return depcheck.ParseModList(path, string(b))
}

func printReport(w io.Writer, plugin, gateway *depcheck.Info, r depcheck.Report, verbose bool) {
	fmt.Fprintf(w, "depcheck: plugin %s (%s, module %s)\n", plugin.Source, plugin.GoVersion, plugin.MainModule)
	fmt.Fprintf(w, "depcheck: gateway %s (%s, module %s)\n", gateway.Source, orUnknown(gateway.GoVersion), gateway.MainModule)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "depcheck: note: %s\n", n)
	}
	if verbose {
		for _, m := range r.Shared {
			fmt.Fprintf(w, "depcheck: same: %s %s\n", m, plugin.Modules[m].Effective())
		}
	}
	if r.OK() {
		fmt.Fprintf(w, "depcheck: OK: %d shared modules identical, %d only in the plugin; %s\n",
			len(r.Shared), len(r.PluginOnly), settingsLine(plugin))
		return
	}
	fmt.Fprintf(w, "depcheck: FAIL: the gateway would refuse this plugin (%d problem(s)):\n", len(r.Problems))
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  %s\n", p)
	}
	fmt.Fprintln(w, "depcheck: a module mismatch means the plugin's go.mod asks for a newer version than the gateway has: lower it (go get MODULE@GATEWAY_VERSION), or build against the matching gateway version; a Go or flag mismatch means the wrong compiler image or toolchain")
}

func settingsLine(i *depcheck.Info) string {
	var parts []string
	parts = append(parts, i.GoVersion)
	for _, k := range []string{"-trimpath", "-tags", "CGO_ENABLED", "GOOS", "GOARCH"} {
		if v, ok := i.Settings[k]; ok {
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, " ")
}

func orUnknown(s string) string {
	if s == "" {
		return "Go version unknown"
	}
	return s
}
