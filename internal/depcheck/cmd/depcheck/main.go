// Command depcheck fails when a Go plugin would not load into a given Tyk
// gateway: different Go release, different code-changing build settings,
// or a different version of any module the two share. It checks a built
// plugin, or, before anything is built, the plugin module's requirements.
//
// A built plugin against a gateway binary, its source's go.mod, or its
// source's module list:
//
//	depcheck -plugin dist/ldapauth_v5.8.15_linux_amd64.so -gateway /opt/tyk-gateway/tyk
//	depcheck -plugin dist/ldapauth_v5.8.15_linux_amd64.so -gateway-gomod $TYK_SRC/go.mod
//	(cd $TYK_SRC && GOWORK=off go list -m all) | depcheck -plugin x.so -gateway-modules -
//
// The plugin module's go line and requirement graph against one or more
// gateway go.mod files (or facts derived from them, see gatewayfacts):
//
//	GOWORK=off go list -m all | depcheck -requirements go.mod -modules - $TYK_SRC/go.mod
//
// -plugin and -gateway accept the binary itself or a saved `go version -m`
// output. Exit status: 0 loadable, 1 mismatch, 2 usage or read error.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/depcheck"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// releaseSettingKeys are checked against the flags every released gateway is
// built with when only the gateway's module list is known.
var releaseSettingKeys = []string{"-trimpath", "CGO_ENABLED", "-tags", "-race"}

const usageLine = `usage: depcheck -plugin FILE (-gateway FILE | -gateway-gomod FILE | -gateway-modules FILE) [-tags goplugin] [-module PATH] [-v]
       depcheck -requirements GO.MOD [-modules FILE] [-v] GATEWAY_GO_MOD...`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("depcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pluginPath := fs.String("plugin", "", "the built plugin (.so), or a file holding its `go version -m` output")
	gatewayPath := fs.String("gateway", "", "the gateway binary, or a file holding its `go version -m` output")
	gomodPath := fs.String("gateway-gomod", "", "the gateway source's go.mod (or a facts file derived from one), when no gateway binary exists")
	modulesPath := fs.String("gateway-modules", "", "`go list -m all` output of the gateway source (- for stdin), when no gateway binary exists")
	tags := fs.String("tags", "goplugin", "with -gateway-gomod or -gateway-modules: the build tags the gateway binary is built with")
	module := fs.String("module", "", "the module path the plugin must have (checks that a build id rename took effect)")
	requirements := fs.String("requirements", "", "check the plugin module whose go.mod this is, before building, against the gateway go.mod files given as arguments")
	ownModules := fs.String("modules", "", "with -requirements: `go list -m all` output of the plugin module (- for stdin); without it only go.mod's own requirements are checked")
	verbose := fs.Bool("v", false, "list the shared modules")
	fs.Usage = func() {
		fmt.Fprintln(stderr, usageLine)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *requirements != "" {
		if *pluginPath != "" || *gatewayPath != "" || *gomodPath != "" || *modulesPath != "" || *module != "" || fs.NArg() == 0 {
			fs.Usage()
			return 2
		}
		return runRequirements(*requirements, *ownModules, fs.Args(), *verbose, stdin, stdout, stderr)
	}
	if *pluginPath == "" || countSet(*gatewayPath, *gomodPath, *modulesPath) != 1 || *ownModules != "" || fs.NArg() != 0 {
		fs.Usage()
		return 2
	}

	plugin, err := depcheck.ReadFile(*pluginPath)
	if err != nil {
		fmt.Fprintf(stderr, "depcheck: read plugin: %v\n", err)
		return 2
	}
	var gateway *depcheck.Info
	switch {
	case *gatewayPath != "":
		gateway, err = depcheck.ReadFile(*gatewayPath)
	case *gomodPath != "":
		gateway, err = depcheck.ReadGatewayFile(*gomodPath)
	default:
		gateway, err = readModList(*modulesPath, stdin)
	}
	if err != nil {
		fmt.Fprintf(stderr, "depcheck: read gateway: %v\n", err)
		return 2
	}

	report := depcheck.Compare(plugin, gateway)
	if *gatewayPath == "" {
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

// shortName names a gateway file in a summary: a stored facts file by its
// release, a go.mod by its path.
func shortName(path string) string {
	if base := filepath.Base(path); base != "go.mod" {
		return base
	}
	return path
}

func countSet(values ...string) int {
	n := 0
	for _, v := range values {
		if v != "" {
			n++
		}
	}
	return n
}

// runRequirements checks the plugin module (its go.mod, and its module
// graph when given) against each gateway file in turn.
func runRequirements(gomod, modulesPath string, gateways []string, verbose bool, stdin io.Reader, stdout, stderr io.Writer) int {
	module, err := depcheck.ReadGoMod(gomod)
	if err != nil {
		fmt.Fprintf(stderr, "depcheck: read plugin module: %v\n", err)
		return 2
	}
	graph := "go.mod's own requirements"
	if modulesPath != "" {
		list, err := readModList(modulesPath, stdin)
		if err != nil {
			fmt.Fprintf(stderr, "depcheck: read plugin module list: %v\n", err)
			return 2
		}
		if list.MainModule != module.MainModule {
			fmt.Fprintf(stderr, "depcheck: %s is the module list of %q, but %s is module %q: run `go list -m all` beside that go.mod\n",
				list.Source, list.MainModule, gomod, module.MainModule)
			return 2
		}
		module.Modules = list.Modules
		graph = "`go list -m all`"
	}

	var failed []string
	for _, path := range gateways {
		gateway, err := depcheck.ReadGatewayFile(path)
		if err != nil {
			fmt.Fprintf(stderr, "depcheck: read gateway: %v\n", err)
			return 2
		}
		report := depcheck.CheckRequirements(module, gateway)
		if modulesPath == "" {
			report.Notes = append(report.Notes, "only the modules go.mod lists were checked, not the whole module graph: pass -modules with the output of `GOWORK=off go list -m all`")
		}
		fmt.Fprintf(stdout, "depcheck: plugin module %s (go %s, %d modules from %s) against gateway %s (go %s, %d modules)\n",
			module.MainModule, module.GoLine, len(module.Modules), graph, gateway.Source, gateway.GoLine, len(gateway.Modules))
		for _, n := range report.Notes {
			fmt.Fprintf(stdout, "depcheck: note: %s\n", n)
		}
		if verbose {
			for _, m := range report.Shared {
				fmt.Fprintf(stdout, "depcheck: fits: %s %s (the gateway's %s is used)\n", m, module.Modules[m].Effective(), gateway.Modules[m].Effective())
			}
		}
		if report.OK() {
			fmt.Fprintf(stdout, "depcheck: OK: go %s is not above go %s; %d shared modules at or below the gateway's versions, %d only in the plugin module\n",
				module.GoLine, gateway.GoLine, len(report.Shared), len(report.PluginOnly))
			continue
		}
		failed = append(failed, shortName(path))
		fmt.Fprintf(stdout, "depcheck: FAIL: a plugin built from this module for this gateway would not build or not load (%d problem(s)):\n", len(report.Problems))
		for _, p := range report.Problems {
			fmt.Fprintf(stdout, "  %s\n", p)
		}
	}
	if len(gateways) > 1 {
		if len(failed) == 0 {
			fmt.Fprintf(stdout, "depcheck: all %d gateways OK\n", len(gateways))
		} else {
			fmt.Fprintf(stdout, "depcheck: FAIL for %d of %d gateways: %s\n", len(failed), len(gateways), strings.Join(failed, " "))
		}
	}
	if len(failed) > 0 {
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
