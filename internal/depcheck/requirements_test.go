package depcheck

import (
	"strings"
	"testing"
)

// moduleInfo builds an Info from a go line and `go list -m all`-style lines.
func moduleInfo(t *testing.T, source, main, goLine string, lines ...string) *Info {
	t.Helper()
	info := &Info{Source: source, MainModule: main, GoLine: goLine, Modules: map[string]Module{}}
	for _, l := range lines {
		m, err := parseModuleLine(l)
		if err != nil {
			t.Fatal(err)
		}
		info.Modules[m.Path] = m
	}
	return info
}

func TestCheckRequirements(t *testing.T) {
	const gw = "github.com/TykTechnologies/tyk"
	gateway := func(goLine string, extra ...string) *Info {
		lines := append([]string{
			"golang.org/x/crypto v0.36.0",
			"golang.org/x/sys v0.31.0",
			"github.com/example/pseudo v0.0.0-20231218155806-88e4363884a2",
			"github.com/example/incompat v2.2.2+incompatible",
			"go.example.org/otelish v0.54.0 => go.example.org/otelish v0.49.0",
		}, extra...)
		return moduleInfo(t, "gw/go.mod", gw, goLine, lines...)
	}
	plugin := func(goLine string, lines ...string) *Info {
		return moduleInfo(t, "go.mod", "example.com/plugin", goLine, lines...)
	}

	tests := []struct {
		name           string
		module         *Info
		gateway        *Info
		wantProblems   []string // each must appear in its problem, in order
		wantShared     string
		wantPluginOnly string
		wantNotes      []string
	}{
		{
			name:           "lower and equal versions fit, a module the gateway lacks is the plugin's own",
			module:         plugin("1.23", "golang.org/x/crypto v0.31.0", "golang.org/x/sys v0.31.0", "github.com/go-ldap/ldap/v3 v3.4.10"),
			gateway:        gateway("1.23.4"),
			wantShared:     "golang.org/x/crypto golang.org/x/sys",
			wantPluginOnly: "github.com/go-ldap/ldap/v3",
		},
		{
			name:    "a newer shared module, named with both versions and the fix",
			module:  plugin("1.23", "golang.org/x/crypto v0.37.0"),
			gateway: gateway("1.23.4"),
			wantProblems: []string{"module golang.org/x/crypto: the plugin module selects v0.37.0, the gateway's go.mod has v0.36.0: " +
				"in the build workspace the higher version wins, so the gateway's own packages would be compiled against v0.37.0 inside the plugin and the gateway would refuse it; " +
				"lower it to v0.36.0 or below (go get golang.org/x/crypto@v0.36.0, or lower the requirement that pulls it in: go mod graph | grep 'golang.org/x/crypto@v0.37.0$')"},
		},
		{
			name:         "semantic, not text, order: v0.100.0 is above v0.36.0",
			module:       plugin("1.23", "golang.org/x/crypto v0.100.0"),
			gateway:      gateway("1.23.4"),
			wantProblems: []string{"module golang.org/x/crypto: the plugin module selects v0.100.0"},
		},
		{
			name:       "an older pseudo-version fits",
			module:     plugin("1.23", "github.com/example/pseudo v0.0.0-20220101000000-aaaaaaaaaaaa"),
			gateway:    gateway("1.23.4"),
			wantShared: "github.com/example/pseudo",
		},
		{
			name:         "a newer pseudo-version does not",
			module:       plugin("1.23", "github.com/example/pseudo v0.0.0-20250101000000-aaaaaaaaaaaa"),
			gateway:      gateway("1.23.4"),
			wantProblems: []string{"module github.com/example/pseudo: the plugin module selects v0.0.0-20250101000000-aaaaaaaaaaaa, the gateway's go.mod has v0.0.0-20231218155806-88e4363884a2"},
		},
		{
			name:         "+incompatible versions compare too",
			module:       plugin("1.23", "github.com/example/incompat v2.3.0+incompatible"),
			gateway:      gateway("1.23.4"),
			wantProblems: []string{"module github.com/example/incompat: the plugin module selects v2.3.0+incompatible, the gateway's go.mod has v2.2.2+incompatible"},
		},
		{
			name:         "raising a module past the gateway's one-version replacement",
			module:       plugin("1.23", "go.example.org/otelish v0.55.0"),
			gateway:      gateway("1.23.4"),
			wantProblems: []string{"module go.example.org/otelish: the plugin module selects v0.55.0, the gateway's go.mod has v0.54.0"},
		},
		{
			name:    "go line above the gateway's",
			module:  plugin("1.24", "golang.org/x/crypto v0.31.0"),
			gateway: gateway("1.23.4"),
			wantProblems: []string{"go line: the plugin module's go.mod says go 1.24, the gateway's go.mod says go 1.23.4: " +
				"the gateway's compiler image may have a Go release too old to build the plugin; " +
				"lower the plugin module's go line to 1.23.4 or below (go mod edit -go=1.23.4)"},
			wantShared: "golang.org/x/crypto",
		},
		{
			name:         "go 1.23.5 is above go 1.23.4",
			module:       plugin("1.23.5"),
			gateway:      gateway("1.23.4"),
			wantProblems: []string{"go line: the plugin module's go.mod says go 1.23.5"},
		},
		{name: "go 1.23 is below go 1.23.4", module: plugin("1.23"), gateway: gateway("1.23.4")},
		{name: "go 1.23.4 equals go 1.23.4", module: plugin("1.23.4"), gateway: gateway("1.23.4")},
		{name: "go 1.23 is below go 1.24", module: plugin("1.23"), gateway: gateway("1.24")},
		{
			name:         "an unreadable go line is a problem, not a pass",
			module:       plugin("1.x"),
			gateway:      gateway("1.23.4"),
			wantProblems: []string{"go line: cannot compare the plugin module's go 1.x with the gateway's go 1.23.4"},
		},
		{
			name:      "a gateway without a go line: noted, modules still checked",
			module:    plugin("1.23", "golang.org/x/sys v0.32.0"),
			gateway:   gateway(""),
			wantNotes: []string{"go line not compared: gw/go.mod does not give it"},
			wantProblems: []string{
				"module golang.org/x/sys: the plugin module selects v0.32.0, the gateway's go.mod has v0.31.0",
			},
		},
		{
			name:         "the plugin module replaces a module the gateway links",
			module:       plugin("1.23", "golang.org/x/sys v0.31.0 => github.com/fork/sys v0.31.1"),
			gateway:      gateway("1.23.4"),
			wantProblems: []string{"module golang.org/x/sys: the plugin module replaces it (v0.31.0 => github.com/fork/sys v0.31.1), the gateway's go.mod has v0.31.0"},
		},
		{
			name:       "the same replacement as the gateway's is harmless",
			module:     plugin("1.23", "go.example.org/otelish v0.54.0 => go.example.org/otelish v0.49.0"),
			gateway:    gateway("1.23.4"),
			wantShared: "go.example.org/otelish",
		},
		{
			name:         "a version that is not semantic cannot be passed",
			module:       plugin("1.23", "golang.org/x/sys latest"),
			gateway:      gateway("1.23.4"),
			wantProblems: []string{"module golang.org/x/sys: cannot compare the plugin module's version latest with the gateway's v0.31.0"},
		},
		{
			name:      "requiring the gateway itself is noted: the workspace uses its source",
			module:    plugin("1.23", gw+" v1.9.2"),
			gateway:   gateway("1.23.4"),
			wantNotes: []string{"module github.com/TykTechnologies/tyk is the gateway itself"},
		},
		{
			name:    "several problems, go line first then modules in path order",
			module:  plugin("1.25", "golang.org/x/sys v0.40.0", "golang.org/x/crypto v0.48.0"),
			gateway: gateway("1.24.6"),
			wantProblems: []string{
				"go line: the plugin module's go.mod says go 1.25",
				"module golang.org/x/crypto: the plugin module selects v0.48.0",
				"module golang.org/x/sys: the plugin module selects v0.40.0",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := CheckRequirements(tc.module, tc.gateway)
			checkProblems(t, r, tc.wantProblems)
			if tc.wantShared != "" || len(tc.wantProblems) == 0 {
				if got := strings.Join(r.Shared, " "); got != tc.wantShared {
					t.Errorf("Shared = %q, want %q", got, tc.wantShared)
				}
			}
			if got := strings.Join(r.PluginOnly, " "); got != tc.wantPluginOnly {
				t.Errorf("PluginOnly = %q, want %q", got, tc.wantPluginOnly)
			}
			if len(r.Notes) != len(tc.wantNotes) {
				t.Fatalf("Notes = %q, want %d notes %q", r.Notes, len(tc.wantNotes), tc.wantNotes)
			}
			for i, w := range tc.wantNotes {
				if !strings.Contains(r.Notes[i], w) {
					t.Errorf("note %d = %q, want it to contain %q", i, r.Notes[i], w)
				}
			}
		})
	}
}

func TestCheckRequirementsNotesSkippedDirectives(t *testing.T) {
	gateway, err := ParseGoMod("gw/go.mod", []byte("module x.example/gw\ngo 1.24\nfrobnicate all\nrequire golang.org/x/sys v0.31.0\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := CheckRequirements(moduleInfo(t, "go.mod", "example.com/plugin", "1.23", "golang.org/x/sys v0.28.0"), gateway)
	if !r.OK() || len(r.Notes) != 1 || !strings.Contains(r.Notes[0], `directive "frobnicate" not understood by this check and ignored`) {
		t.Errorf("OK %v, Notes %q", r.OK(), r.Notes)
	}
}
