package depcheck

import (
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
)

// The samples in testdata/ are real `go version -m` output, captured from a
// small host executable (module github.com/TykTechnologies/tyk, built like
// the gateway: -trimpath -tags=goplugin CGO_ENABLED=1) and from plugins built
// against it in a Go workspace. plugin-xcrypto.txt is a plugin that really
// failed to load into that host with "plugin was built with a different
// version of package golang.org/x/crypto/md4". The other cases below edit one
// line of the samples, which keeps the format real.

func sample(t *testing.T, name string) string {
	t.Helper()
	return string(testutil.ReadFile(t, "testdata/"+name))
}

// edit replaces old by new exactly once, so a case cannot silently test
// nothing because a sample changed.
func edit(t *testing.T, text, old, new string) string {
	t.Helper()
	if strings.Count(text, old) != 1 {
		t.Fatalf("sample does not contain %q exactly once", old)
	}
	return strings.Replace(text, old, new, 1)
}

const (
	xsysPlugin  = "\tdep\tgolang.org/x/sys\tv0.30.0\th1:QT4T6VtgPc2Pz8CrdOXRgDosg0UtkXsNs1NtZvmUBgYs=\n"
	xsysGateway = "\tdep\tgolang.org/x/sys\tv0.28.0\th1:Fksou7UEQUWlKvIdsqzJmUmCX3cZCadf7NNt7lpBiKI=\n"
	cryptoLine  = "\tdep\tgolang.org/x/crypto\tv0.31.0\th1:ihbySMvVjLAeSH1IbfcRTkD/iNscyz8rGzjF/E5hV6U=\n"
)

func TestCompare(t *testing.T) {
	plugin := sample(t, "plugin.txt")
	gateway := sample(t, "gateway.txt")

	tests := []struct {
		name         string
		plugin       string
		gateway      string
		wantProblems []string // each must appear in exactly one problem, in order
	}{
		{
			name:    "matching builds",
			plugin:  plugin,
			gateway: gateway,
		},
		{
			name:         "a differing module (real failed load)",
			plugin:       sample(t, "plugin-xcrypto.txt"),
			gateway:      gateway,
			wantProblems: []string{"module golang.org/x/crypto: plugin has v0.32.0, gateway has v0.31.0"},
		},
		{
			name: "a module two steps away",
			// x/sys comes in through x/crypto's requirements: the plugin
			// never imports it, the check must still see it.
			plugin:       edit(t, plugin, cryptoLine, cryptoLine+xsysPlugin),
			gateway:      edit(t, gateway, cryptoLine, cryptoLine+xsysGateway),
			wantProblems: []string{"module golang.org/x/sys: plugin has v0.30.0, gateway has v0.28.0"},
		},
		{
			name:         "a different Go version",
			plugin:       plugin,
			gateway:      edit(t, gateway, "tyk: go1.26.8", "tyk: go1.24.9"),
			wantProblems: []string{"Go version: plugin built with go1.26.8, gateway with go1.24.9"},
		},
		{
			name:         "missing -trimpath",
			plugin:       edit(t, plugin, "\tbuild\t-trimpath=true\n", ""),
			gateway:      gateway,
			wantProblems: []string{"build setting -trimpath: plugin false, gateway true"},
		},
		{
			name:         "built with -race",
			plugin:       edit(t, plugin, "\tbuild\t-tags=goplugin\n", "\tbuild\t-race=true\n\tbuild\t-tags=goplugin\n"),
			gateway:      gateway,
			wantProblems: []string{"build setting -race: plugin true, gateway false"},
		},
		{
			name:         "EE plugin for a standard gateway",
			plugin:       edit(t, plugin, "-tags=goplugin", "-tags=goplugin,ee"),
			gateway:      gateway,
			wantProblems: []string{"build setting -tags: plugin ee,goplugin, gateway goplugin"},
		},
		{
			name:    "tag order does not matter",
			plugin:  edit(t, plugin, "-tags=goplugin", "-tags=goplugin,ee"),
			gateway: edit(t, gateway, "-tags=goplugin", "-tags=ee,goplugin"),
		},
		{
			name:         "missing tags",
			plugin:       edit(t, plugin, "\tbuild\t-tags=goplugin\n", ""),
			gateway:      gateway,
			wantProblems: []string{"build setting -tags: plugin (not set), gateway goplugin"},
		},
		{
			name:         "different GOAMD64",
			plugin:       edit(t, plugin, "GOAMD64=v1", "GOAMD64=v3"),
			gateway:      gateway,
			wantProblems: []string{"build setting GOAMD64: plugin v3, gateway v1"},
		},
		{
			name:   "gateway replaces a module the plugin does not",
			plugin: plugin,
			gateway: edit(t, gateway, cryptoLine, cryptoLine+
				"\t=>\tgithub.com/fork/crypto\tv0.31.1\th1:aaaa\n"),
			wantProblems: []string{"module golang.org/x/crypto: plugin has v0.31.0, gateway has v0.31.0 => github.com/fork/crypto v0.31.1"},
		},
		{
			name:         "same version, different content",
			plugin:       edit(t, plugin, "h1:ihbySMvVjLAeSH1IbfcRTkD/iNscyz8rGzjF/E5hV6U=", "h1:tampered="),
			gateway:      gateway,
			wantProblems: []string{"module golang.org/x/crypto: same version but different content: plugin h1:tampered=, gateway h1:ihby"},
		},
		{
			name:    "not a plugin",
			plugin:  edit(t, plugin, "-buildmode=plugin", "-buildmode=exe"),
			gateway: gateway,
			wantProblems: []string{
				"was built with -buildmode=exe, not -buildmode=plugin",
			},
		},
		{
			name:    "several problems at once",
			plugin:  edit(t, edit(t, sample(t, "plugin-xcrypto.txt"), "\tbuild\t-trimpath=true\n", ""), "go1.26.8", "go1.26.7"),
			gateway: gateway,
			wantProblems: []string{
				"Go version: plugin built with go1.26.7, gateway with go1.26.8",
				"build setting -trimpath",
				"module golang.org/x/crypto: plugin has v0.32.0",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseVersionM(tc.plugin)
			if err != nil {
				t.Fatalf("plugin sample: %v", err)
			}
			g, err := ParseVersionM(tc.gateway)
			if err != nil {
				t.Fatalf("gateway sample: %v", err)
			}
			r := Compare(p, g)
			checkProblems(t, r, tc.wantProblems)
		})
	}
}

func checkProblems(t *testing.T, r Report, want []string) {
	t.Helper()
	if len(r.Problems) != len(want) {
		t.Fatalf("got %d problems %q, want %d %q", len(r.Problems), r.Problems, len(want), want)
	}
	for i, w := range want {
		if got := r.Problems[i].String(); !strings.Contains(got, w) {
			t.Errorf("problem %d = %q, want it to contain %q", i, got, w)
		}
	}
	if r.OK() != (len(want) == 0) {
		t.Errorf("OK() = %v with %d problems", r.OK(), len(want))
	}
}

func TestCompareSharedAndPluginOnly(t *testing.T) {
	p, err := ParseVersionM(sample(t, "plugin.txt"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := ParseVersionM(sample(t, "gateway.txt"))
	if err != nil {
		t.Fatal(err)
	}
	r := Compare(p, g)
	if got, want := strings.Join(r.Shared, " "), "github.com/go-asn1-ber/asn1-ber github.com/google/uuid golang.org/x/crypto"; got != want {
		t.Errorf("Shared = %q, want %q", got, want)
	}
	if got, want := strings.Join(r.PluginOnly, " "), "github.com/Azure/go-ntlmssp github.com/go-ldap/ldap/v3"; got != want {
		t.Errorf("PluginOnly = %q, want %q", got, want)
	}
	// The gateway module itself comes from the workspace source, which no
	// version string can prove; the report must say so instead of passing
	// over it in silence.
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "github.com/TykTechnologies/tyk is the gateway itself") {
		t.Errorf("Notes = %q, want one note about the gateway module", r.Notes)
	}
}

func TestCompareAgainstModuleList(t *testing.T) {
	plugin := sample(t, "plugin.txt")
	modlist := sample(t, "gateway-modlist.txt")
	release := map[string]string{"-trimpath": "true", "CGO_ENABLED": "1", "-tags": "goplugin"}
	keys := []string{"-trimpath", "CGO_ENABLED", "-tags", "-race"}

	tests := []struct {
		name         string
		plugin       string
		modlist      string
		wantProblems []string
	}{
		{name: "matching", plugin: plugin, modlist: modlist},
		{
			name:         "x/sys newer in the plugin",
			plugin:       edit(t, plugin, cryptoLine, cryptoLine+xsysPlugin),
			modlist:      modlist,
			wantProblems: []string{"module golang.org/x/sys: plugin has v0.30.0, gateway has v0.28.0"},
		},
		{
			name:         "plugin without -trimpath",
			plugin:       edit(t, plugin, "\tbuild\t-trimpath=true\n", ""),
			modlist:      modlist,
			wantProblems: []string{"build setting -trimpath: plugin false, gateway true"},
		},
		{
			name:         "gateway source replaces a module",
			plugin:       plugin,
			modlist:      edit(t, modlist, "golang.org/x/crypto v0.31.0\n", "golang.org/x/crypto v0.31.0 => ../crypto\n"),
			wantProblems: []string{"module golang.org/x/crypto: plugin has v0.31.0, gateway has v0.31.0 => ../crypto"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseVersionM(tc.plugin)
			if err != nil {
				t.Fatal(err)
			}
			g, err := ParseModList("go list -m all", tc.modlist)
			if err != nil {
				t.Fatal(err)
			}
			r := Compare(p, g)
			r.Problems = append(r.Problems, ExpectSettings(p, release, keys)...)
			checkProblems(t, r, tc.wantProblems)
			// Without a binary the Go version and flags are unknown: the
			// report must say what it could not check.
			notes := strings.Join(r.Notes, "\n")
			for _, want := range []string{"Go version not compared", "build settings not compared"} {
				if !strings.Contains(notes, want) {
					t.Errorf("notes %q lack %q", notes, want)
				}
			}
		})
	}
}
