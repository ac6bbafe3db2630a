package depcheck

import (
	"fmt"
	"go/version"
	"sort"
	"strings"

	"golang.org/x/mod/semver"
)

// Kind tells what a Problem is about.
type Kind int

// The kinds of Problem.
const (
	// KindModule: a module both binaries link differs in version or replacement.
	KindModule Kind = iota + 1
	// KindSum: same version, different content checksum.
	KindSum
	// KindGoVersion: the two were built by different Go releases.
	KindGoVersion
	// KindSetting: a build setting that changes compiled code differs.
	KindSetting
	// KindPlugin: the file is not a plugin build that any gateway could load.
	KindPlugin
	// KindGoLine: the plugin module's go line is higher than the gateway's.
	KindGoLine
	// KindRequirement: the plugin module selects a newer version of a
	// module than the gateway's go.mod.
	KindRequirement
	// KindReplace: the plugin module replaces a module the gateway links.
	KindReplace
)

// Problem is one reason the gateway would refuse the plugin.
type Problem struct {
	Kind    Kind
	Name    string // module path or setting key
	Plugin  string // what the plugin has ("" = not set)
	Gateway string // what the gateway has ("" = not set)
}

func (p Problem) String() string {
	switch p.Kind {
	case KindModule:
		return fmt.Sprintf("module %s: plugin has %s, gateway has %s", p.Name, p.Plugin, p.Gateway)
	case KindSum:
		return fmt.Sprintf("module %s: same version but different content: plugin %s, gateway %s", p.Name, p.Plugin, p.Gateway)
	case KindGoVersion:
		return fmt.Sprintf("Go version: plugin built with %s, gateway with %s", p.Plugin, p.Gateway)
	case KindSetting:
		return fmt.Sprintf("build setting %s: plugin %s, gateway %s", p.Name, show(p.Plugin), show(p.Gateway))
	case KindGoLine:
		if !version.IsValid("go"+p.Plugin) || !version.IsValid("go"+p.Gateway) {
			return fmt.Sprintf("go line: cannot compare the plugin module's go %s with the gateway's go %s", show(p.Plugin), show(p.Gateway))
		}
		return fmt.Sprintf("go line: the plugin module's go.mod says go %s, the gateway's go.mod says go %s: "+
			"the gateway's compiler image may have a Go release too old to build the plugin; "+
			"lower the plugin module's go line to %s or below (go mod edit -go=%s) and use no language feature or standard library API newer than that",
			p.Plugin, p.Gateway, p.Gateway, p.Gateway)
	case KindRequirement:
		if !semver.IsValid(p.Plugin) || !semver.IsValid(p.Gateway) {
			return fmt.Sprintf("module %s: cannot compare the plugin module's version %s with the gateway's %s", p.Name, show(p.Plugin), show(p.Gateway))
		}
		return fmt.Sprintf("module %s: the plugin module selects %s, the gateway's go.mod has %s: "+
			"in the build workspace the higher version wins, so the gateway's own packages would be compiled against %s inside the plugin and the gateway would refuse it; "+
			"lower it to %s or below (go get %s@%s, or lower the requirement that pulls it in: go mod graph | grep '%s@%s$')",
			p.Name, p.Plugin, p.Gateway, p.Plugin, p.Gateway, p.Name, p.Gateway, p.Name, p.Plugin)
	case KindReplace:
		return fmt.Sprintf("module %s: the plugin module replaces it (%s), the gateway's go.mod has %s: "+
			"a replacement in the plugin module applies to the gateway's packages in the build workspace too; remove it from the plugin module's go.mod",
			p.Name, p.Plugin, show(p.Gateway))
	default:
		return fmt.Sprintf("plugin %s: %s", p.Name, p.Plugin)
	}
}

func show(v string) string {
	if v == "" {
		return "(not set)"
	}
	return v
}

// Report is the outcome of a comparison.
type Report struct {
	Problems   []Problem
	Notes      []string // things that could not be checked, or that need a human
	Shared     []string // modules both have that pass: identical (Compare), at or below the gateway's version (CheckRequirements)
	PluginOnly []string // modules only the plugin has (no conflict possible)
}

// OK reports whether nothing was found that would stop the plugin loading.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// boolSettings are build flags recorded only when true: absent means false.
var boolSettings = map[string]bool{"-race": true, "-msan": true, "-asan": true, "-trimpath": true}

// codeSettings are the build settings that change the code of packages the
// plugin shares with the gateway, so they must be equal. Settings such as
// -ldflags, -buildmode and DefaultGODEBUG are left out on purpose: they differ
// between an executable and a plugin without affecting shared packages.
var codeSettings = []string{
	"-asan", "-asmflags", "-gcflags", "-msan", "-race", "-tags", "-trimpath",
	"CGO_ENABLED", "GOARCH", "GOOS", "GOEXPERIMENT", "GOFIPS140",
	"GO386", "GOAMD64", "GOARM", "GOARM64", "GOMIPS", "GOMIPS64", "GOPPC64", "GORISCV64", "GOWASM",
}

// normalize makes equal settings compare equal: absent booleans are false and
// build tags are a set.
func normalize(key, value string) string {
	if boolSettings[key] && value == "" {
		return "false"
	}
	if key == "-tags" {
		var tags []string
		seen := map[string]bool{}
		for _, t := range strings.Split(value, ",") {
			t = strings.TrimSpace(t)
			if t != "" && !seen[t] {
				seen[t] = true
				tags = append(tags, t)
			}
		}
		sort.Strings(tags)
		return strings.Join(tags, ",")
	}
	return value
}

// Compare checks a plugin against the gateway that is to load it. Every
// module the two have in common must be identical, however far it is from
// the plugin's own imports. When the gateway's Go version or build settings
// are unknown (a module list or go.mod from source), those checks are skipped and a
// note says so.
func Compare(plugin, gateway *Info) Report {
	var r Report
	r.Problems = append(r.Problems, pluginSanity(plugin)...)

	switch {
	case gateway.GoVersion == "":
		r.Notes = append(r.Notes, fmt.Sprintf("Go version not compared: %s does not record it (plugin: %s); it must equal the Go release that built the gateway", gateway.Source, plugin.GoVersion))
	case plugin.GoVersion != gateway.GoVersion:
		r.Problems = append(r.Problems, Problem{Kind: KindGoVersion, Name: "go", Plugin: plugin.GoVersion, Gateway: gateway.GoVersion})
	}

	if gateway.Settings == nil {
		r.Notes = append(r.Notes, fmt.Sprintf("build settings not compared: %s does not record them", gateway.Source))
	} else {
		r.Problems = append(r.Problems, ExpectSettings(plugin, gateway.Settings, codeSettings)...)
	}

	for _, path := range plugin.ModulePaths() {
		pm := plugin.Modules[path]
		if path == gateway.MainModule {
			r.Notes = append(r.Notes, fmt.Sprintf("module %s is the gateway itself; the plugin compiled it as %s, which must be the gateway's exact source (use the gateway's own checkout or the compiler image)", path, pm.Effective()))
			continue
		}
		gm, shared := gateway.Modules[path]
		if !shared {
			r.PluginOnly = append(r.PluginOnly, path)
			continue
		}
		if pm.Effective() != gm.Effective() {
			r.Problems = append(r.Problems, Problem{Kind: KindModule, Name: path, Plugin: pm.Effective(), Gateway: gm.Effective()})
			continue
		}
		if ps, gs := sumOf(pm), sumOf(gm); ps != "" && gs != "" && ps != gs {
			r.Problems = append(r.Problems, Problem{Kind: KindSum, Name: path, Plugin: ps, Gateway: gs})
			continue
		}
		r.Shared = append(r.Shared, path)
	}
	return r
}

// sumOf is the checksum of the code actually compiled.
func sumOf(m Module) string {
	if m.Replace != nil {
		return m.Replace.Sum
	}
	return m.Sum
}

// ExpectSettings checks the plugin's build settings named in keys against
// want. A key missing from want is compared as not set.
func ExpectSettings(plugin *Info, want map[string]string, keys []string) []Problem {
	if plugin.Settings == nil {
		return []Problem{{Kind: KindPlugin, Name: plugin.Source, Plugin: "records no build settings"}}
	}
	var out []Problem
	for _, k := range keys {
		p, g := normalize(k, plugin.Settings[k]), normalize(k, want[k])
		if p != g {
			out = append(out, Problem{Kind: KindSetting, Name: k, Plugin: p, Gateway: g})
		}
	}
	return out
}

// pluginSanity catches files no gateway could load, whatever its build.
func pluginSanity(plugin *Info) []Problem {
	if plugin.Settings == nil {
		return nil
	}
	var out []Problem
	if m := plugin.Settings["-buildmode"]; m != "plugin" {
		out = append(out, Problem{Kind: KindPlugin, Name: plugin.Source, Plugin: fmt.Sprintf("was built with -buildmode=%s, not -buildmode=plugin", show(m))})
	}
	if c := plugin.Settings["CGO_ENABLED"]; c != "1" {
		out = append(out, Problem{Kind: KindPlugin, Name: plugin.Source, Plugin: fmt.Sprintf("was built with CGO_ENABLED=%s; Go plugins need CGO_ENABLED=1", show(c))})
	}
	return out
}
