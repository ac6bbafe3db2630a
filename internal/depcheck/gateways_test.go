package depcheck

import (
	"fmt"
	"go/version"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/semver"
)

// testdata/gateways/ holds, for every Tyk release this project supports,
// the facts of its go.mod (see facts.go; each file says how it was made).
// These tests hold this module's real requirements against all of them, so
// a go.mod change that would break a supported gateway fails here, without
// a Tyk checkout.

const gatewaysDir = "testdata/gateways"

// requiredReleases must always be checked: the LTS lines' first and current
// patches and the newest release.
var requiredReleases = []string{"v5.3.13", "v5.8.0", "v5.8.15", "v5.14.0"}

func storedGateways(t *testing.T) map[string]*Info {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(gatewaysDir, "v*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*Info{}
	for _, p := range paths {
		info, err := ReadGatewayFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(p), ".txt")] = info
	}
	for _, r := range requiredReleases {
		if out[r] == nil {
			t.Fatalf("%s/%s.txt is missing", gatewaysDir, r)
		}
	}
	return out
}

// thisModule is this module as the plugin compiler's workspace sees it:
// the go line of its go.mod and every module of `go list -m all`.
func thisModule(t *testing.T) *Info {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	module, err := ReadGoMod(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list this module's requirement graph: %v", err)
	}
	cmd := exec.Command(goTool, "list", "-m", "all")
	cmd.Dir = root
	// The module alone, as go.mod says: not the test workspace with the
	// Tyk stand-in, and never an edited go.mod.
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list -m all: %v\n%s", err, stderr)
	}
	list, err := ParseModList("go list -m all", string(out))
	if err != nil {
		t.Fatal(err)
	}
	if list.MainModule != module.MainModule {
		t.Fatalf("go list -m all ran in module %q, go.mod is %q", list.MainModule, module.MainModule)
	}
	module.Modules = list.Modules
	return module
}

func TestThisModuleFitsEveryStoredGateway(t *testing.T) {
	module := thisModule(t)
	gateways := storedGateways(t)
	for _, release := range slices.Sorted(maps.Keys(gateways)) {
		gateway := gateways[release]
		t.Run(release, func(t *testing.T) {
			r := CheckRequirements(module, gateway)
			if !r.OK() {
				t.Errorf("go.mod no longer fits Tyk %s:\n%s", release, problemLines(r))
			}
			// A check that shares nothing with the gateway proves nothing.
			for _, m := range []string{"golang.org/x/crypto", "golang.org/x/sys", "golang.org/x/text"} {
				if !slices.Contains(r.Shared, m) {
					t.Errorf("%s not among the modules checked against %s: %q", m, release, r.Shared)
				}
			}
		})
	}
}

// The same real module list with one requirement raised just past a
// gateway's pin, or the go line raised past the gateway's, must fail: the
// check above is not passing for want of looking.
func TestNewerRequirementFailsAgainstStoredGateway(t *testing.T) {
	module := thisModule(t)
	gateways := storedGateways(t)
	for _, release := range requiredReleases {
		gateway := gateways[release]
		for _, path := range []string{"golang.org/x/crypto", "golang.org/x/sys", "golang.org/x/text", "golang.org/x/net"} {
			t.Run(release+"/"+path, func(t *testing.T) {
				pinned, ok := gateway.Modules[path]
				if !ok {
					t.Fatalf("%s does not pin %s", release, path)
				}
				raised := cloneInfo(module)
				newer := nextMinor(t, pinned.Version)
				raised.Modules[path] = Module{Path: path, Version: newer}
				r := CheckRequirements(raised, gateway)
				want := fmt.Sprintf("module %s: the plugin module selects %s, the gateway's go.mod has %s", path, newer, pinned.Version)
				if len(r.Problems) != 1 || !strings.Contains(r.Problems[0].String(), want) {
					t.Errorf("got %q, want one problem containing %q", r.Problems, want)
				}
			})
		}
		t.Run(release+"/go line", func(t *testing.T) {
			raised := cloneInfo(module)
			raised.GoLine = nextGoMinor(t, gateway.GoLine)
			r := CheckRequirements(raised, gateway)
			want := fmt.Sprintf("go line: the plugin module's go.mod says go %s, the gateway's go.mod says go %s", raised.GoLine, gateway.GoLine)
			if len(r.Problems) != 1 || !strings.Contains(r.Problems[0].String(), want) {
				t.Errorf("got %q, want one problem containing %q", r.Problems, want)
			}
		})
	}
}

// Every stored file must be what gatewayfacts writes for its release: the
// header names the release the file is named after and says how it was
// made, and the modules are sorted.
func TestStoredGatewayFactsAreWellFormed(t *testing.T) {
	gateways := storedGateways(t)
	for _, release := range slices.Sorted(maps.Keys(gateways)) {
		gateway := gateways[release]
		t.Run(release, func(t *testing.T) {
			text, err := os.ReadFile(gateway.Source)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(text), "\n")
			if want := "# Tyk gateway " + release + ": "; !strings.HasPrefix(lines[0], want) {
				t.Errorf("first line %q, want it to start with %q", lines[0], want)
			}
			if want := "# git -C TYK_CHECKOUT show " + release + ":go.mod | go run ./internal/depcheck/cmd/gatewayfacts -release " + release; !slices.Contains(lines, want) {
				t.Errorf("no line %q saying how the file was made", want)
			}
			if !version.IsValid("go" + gateway.GoLine) {
				t.Errorf("go line %q is not a Go version", gateway.GoLine)
			}
			var paths []string
			for _, l := range lines {
				if l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "go ") {
					paths = append(paths, strings.Fields(l)[0])
				}
			}
			if !slices.IsSorted(paths) {
				t.Error("modules are not sorted")
			}
			for _, p := range gateway.ModulePaths() {
				if v := gateway.Modules[p].Version; !semver.IsValid(v) {
					t.Errorf("%s: version %q is not semantic", p, v)
				}
			}
		})
	}
}

func cloneInfo(i *Info) *Info {
	c := *i
	c.Modules = maps.Clone(i.Modules)
	return &c
}

// nextMinor is the first release after v's minor version: v0.36.0 -> v0.37.0.
func nextMinor(t *testing.T, v string) string {
	t.Helper()
	var major, minor int
	if _, err := fmt.Sscanf(semver.MajorMinor(v), "v%d.%d", &major, &minor); err != nil {
		t.Fatalf("version %q: %v", v, err)
	}
	next := fmt.Sprintf("v%d.%d.0", major, minor+1)
	if semver.Compare(next, v) <= 0 {
		t.Fatalf("%s is not above %s", next, v)
	}
	return next
}

// nextGoMinor is the Go language version after the one of line: 1.23.4 -> 1.24.
func nextGoMinor(t *testing.T, line string) string {
	t.Helper()
	var major, minor int
	if _, err := fmt.Sscanf(version.Lang("go"+line), "go%d.%d", &major, &minor); err != nil {
		t.Fatalf("go line %q: %v", line, err)
	}
	next := fmt.Sprintf("%d.%d", major, minor+1)
	if version.Compare("go"+next, "go"+line) <= 0 {
		t.Fatalf("%s is not above %s", next, line)
	}
	return next
}

func problemLines(r Report) string {
	var b strings.Builder
	for _, p := range r.Problems {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}
