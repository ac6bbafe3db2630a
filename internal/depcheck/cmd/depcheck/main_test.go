package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
)

// runCase is one run of the command: its arguments and stdin, and the exit
// code and stdout lines it must give (and stdout text it must not).
type runCase struct {
	name     string
	args     []string
	stdin    string
	wantCode int
	wantOut  []string
	lacksOut []string
}

func (tc runCase) check(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(tc.args, strings.NewReader(tc.stdin), &out, &errOut)
	if code != tc.wantCode {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.wantCode, out.String(), errOut.String())
	}
	for _, w := range tc.wantOut {
		if !strings.Contains(out.String(), w) {
			t.Errorf("stdout lacks %q:\n%s", w, out.String())
		}
	}
	for _, w := range tc.lacksOut {
		if strings.Contains(out.String(), w) {
			t.Errorf("stdout has %q:\n%s", w, out.String())
		}
	}
}

func TestRun(t *testing.T) {
	modlist, err := os.ReadFile("../../testdata/gateway-modlist.txt")
	if err != nil {
		t.Fatal(err)
	}
	const td = "../../testdata/"
	dir := t.TempDir()
	// A gateway source's go.mod with the modules of the gateway.txt sample,
	// and one whose x/crypto is older than the plugin's.
	gwMod := "module github.com/TykTechnologies/tyk\n\ngo 1.23.4\n\nrequire (\n\tgithub.com/go-asn1-ber/asn1-ber v1.5.7\n\tgithub.com/google/uuid v1.6.0\n\tgolang.org/x/crypto v0.31.0\n)\n"
	gomod := testutil.WriteFile(t, dir, "gw/go.mod", gwMod)
	oldCrypto := testutil.WriteFile(t, dir, "old/go.mod", strings.Replace(gwMod, "x/crypto v0.31.0", "x/crypto v0.30.0", 1))
	tests := []runCase{
		{
			name:     "loadable",
			args:     []string{"-plugin", td + "plugin.txt", "-gateway", td + "gateway.txt", "-v"},
			wantCode: 0,
			wantOut: []string{
				"depcheck: OK: 3 shared modules identical, 2 only in the plugin; go1.26.8 -trimpath=true -tags=goplugin CGO_ENABLED=1",
				"depcheck: same: golang.org/x/crypto v0.31.0",
				"note: module github.com/TykTechnologies/tyk is the gateway itself",
			},
		},
		{
			name:     "mismatch names module and both versions",
			args:     []string{"-plugin", td + "plugin-xcrypto.txt", "-gateway", td + "gateway.txt"},
			wantCode: 1,
			wantOut: []string{
				"depcheck: FAIL: the gateway would refuse this plugin (1 problem(s)):",
				"  module golang.org/x/crypto: plugin has v0.32.0, gateway has v0.31.0",
			},
		},
		{
			name:     "module list from stdin",
			args:     []string{"-plugin", td + "plugin.txt", "-gateway-modules", "-"},
			stdin:    string(modlist),
			wantCode: 0,
			wantOut:  []string{"note: Go version not compared", "note: build settings compared with those of released gateways", "depcheck: OK"},
		},
		{
			name:     "module list with EE tags",
			args:     []string{"-plugin", td + "plugin.txt", "-gateway-modules", td + "gateway-modlist.txt", "-tags", "goplugin,ee"},
			wantCode: 1,
			wantOut:  []string{"build setting -tags: plugin goplugin, gateway ee,goplugin"},
		},
		{
			name:     "build id rename missing",
			args:     []string{"-plugin", td + "plugin.txt", "-gateway", td + "gateway.txt", "-module", "tyk.internal/tyk_plugin42"},
			wantCode: 1,
			wantOut:  []string{`has module path "github.com/tyk-ldap-auth/tyk-ldap-auth", want "tyk.internal/tyk_plugin42"`},
		},
		{
			name:     "gateway source go.mod",
			args:     []string{"-plugin", td + "plugin.txt", "-gateway-gomod", gomod},
			wantCode: 0,
			wantOut: []string{
				"depcheck: gateway " + gomod + " (Go version unknown, module github.com/TykTechnologies/tyk)",
				"note: build settings compared with those of released gateways",
				"note: module github.com/TykTechnologies/tyk is the gateway itself",
				"depcheck: OK: 3 shared modules identical, 2 only in the plugin",
			},
		},
		{
			name:     "gateway source go.mod with an older module",
			args:     []string{"-plugin", td + "plugin.txt", "-gateway-gomod", oldCrypto},
			wantCode: 1,
			wantOut:  []string{"  module golang.org/x/crypto: plugin has v0.31.0, gateway has v0.30.0"},
		},
		{
			name:     "gateway facts file",
			args:     []string{"-plugin", td + "plugin.txt", "-gateway-gomod", td + "gateways/v5.8.0.txt", "-tags", "goplugin,ee"},
			wantCode: 1,
			wantOut: []string{
				// 5.8.0 pins x/crypto v0.36.0: a plugin linking v0.31.0 was not built in its workspace.
				"  module golang.org/x/crypto: plugin has v0.31.0, gateway has v0.36.0",
				"  build setting -tags: plugin goplugin, gateway ee,goplugin",
			},
		},
		{name: "no gateway", args: []string{"-plugin", td + "plugin.txt"}, wantCode: 2},
		{name: "gateway binary and go.mod", args: []string{"-plugin", td + "plugin.txt", "-gateway", td + "gateway.txt", "-gateway-gomod", gomod}, wantCode: 2},
		{name: "-modules without -requirements", args: []string{"-plugin", td + "plugin.txt", "-gateway", td + "gateway.txt", "-modules", "x"}, wantCode: 2},
		{name: "unreadable gateway go.mod", args: []string{"-plugin", td + "plugin.txt", "-gateway-gomod", filepath.Join(dir, "nope")}, wantCode: 2},
		{name: "both gateways", args: []string{"-plugin", td + "plugin.txt", "-gateway", "a", "-gateway-modules", "b"}, wantCode: 2},
		{name: "missing plugin", args: []string{"-plugin", td + "nope.so", "-gateway", td + "gateway.txt"}, wantCode: 2},
		{name: "bad flag", args: []string{"-nope"}, wantCode: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.check)
	}
}

func TestRunRequirements(t *testing.T) {
	const gateways = "../../testdata/gateways/"
	dir := t.TempDir()
	const module = "example.com/plugin"
	goMod := func(goLine string) string {
		return testutil.WriteFile(t, dir, "go"+goLine+"/go.mod", "module "+module+"\n\ngo "+goLine+"\n\nrequire (\n\tgithub.com/go-ldap/ldap/v3 v3.4.10\n\tgolang.org/x/crypto v0.31.0 // indirect\n)\n")
	}
	fits := goMod("1.23")
	tooNew := goMod("1.24")
	list := testutil.WriteFile(t, dir, "list.txt", module+"\ngithub.com/go-ldap/ldap/v3 v3.4.10\ngolang.org/x/crypto v0.31.0\ngolang.org/x/sys v0.28.0\n")
	raised := testutil.WriteFile(t, dir, "raised.txt", module+"\ngithub.com/go-ldap/ldap/v3 v3.4.13\ngolang.org/x/crypto v0.48.0\ngolang.org/x/sys v0.41.0\n")
	otherModule := testutil.WriteFile(t, dir, "other.txt", "example.com/other\ngolang.org/x/sys v0.28.0\n")
	oldGateway := testutil.WriteFile(t, dir, "gw-old/go.mod", "module github.com/TykTechnologies/tyk\n\ngo 1.22.6\n\nrequire golang.org/x/sys v0.28.0\n")

	tests := []runCase{
		{
			name:     "fits every release given",
			args:     []string{"-requirements", fits, "-modules", list, "-v", gateways + "v5.3.13.txt", gateways + "v5.8.0.txt", gateways + "v5.14.0.txt"},
			wantCode: 0,
			wantOut: []string{
				"depcheck: plugin module example.com/plugin (go 1.23, 3 modules from `go list -m all`) against gateway " + gateways + "v5.8.0.txt (go 1.23.4, 293 modules)",
				"depcheck: fits: golang.org/x/sys v0.28.0 (the gateway's v0.31.0 is used)",
				"depcheck: OK: go 1.23 is not above go 1.23.4; 2 shared modules at or below the gateway's versions, 1 only in the plugin module",
				"depcheck: all 3 gateways OK",
			},
			lacksOut: []string{"note: only the modules go.mod lists"},
		},
		{
			name:     "module list on stdin",
			args:     []string{"-requirements", fits, "-modules", "-", gateways + "v5.8.15.txt"},
			stdin:    module + "\ngolang.org/x/sys v0.28.0\n",
			wantCode: 0,
			wantOut:  []string{"1 modules from `go list -m all`", "depcheck: OK"},
			lacksOut: []string{"all 1 gateways"},
		},
		{
			name:     "go line too new for the Go 1.23 releases only",
			args:     []string{"-requirements", tooNew, "-modules", list, gateways + "v5.8.0.txt", gateways + "v5.8.15.txt"},
			wantCode: 1,
			wantOut: []string{
				"  go line: the plugin module's go.mod says go 1.24, the gateway's go.mod says go 1.23.4",
				"depcheck: FAIL for 1 of 2 gateways: v5.8.0.txt\n",
			},
		},
		{
			name:     "a gateway source go.mod is named by its path",
			args:     []string{"-requirements", fits, "-modules", list, oldGateway, gateways + "v5.8.0.txt"},
			wantCode: 1,
			wantOut: []string{
				"against gateway " + oldGateway + " (go 1.22.6, 1 modules)",
				"  go line: the plugin module's go.mod says go 1.23, the gateway's go.mod says go 1.22.6",
				"depcheck: FAIL for 1 of 2 gateways: " + oldGateway + "\n",
			},
		},
		{
			name:     "a raised graph names each module and both versions",
			args:     []string{"-requirements", fits, "-modules", raised, gateways + "v5.8.12.txt"},
			wantCode: 1,
			wantOut: []string{
				"depcheck: FAIL: a plugin built from this module for this gateway would not build or not load (2 problem(s)):",
				"  module golang.org/x/crypto: the plugin module selects v0.48.0, the gateway's go.mod has v0.45.0",
				"go get golang.org/x/crypto@v0.45.0",
				"  module golang.org/x/sys: the plugin module selects v0.41.0, the gateway's go.mod has v0.40.0",
			},
		},
		{
			name:     "go.mod alone, with a note that the graph was not checked",
			args:     []string{"-requirements", fits, gateways + "v5.8.0.txt"},
			wantCode: 0,
			wantOut:  []string{"2 modules from go.mod's own requirements", "note: only the modules go.mod lists were checked, not the whole module graph"},
		},
		{name: "no gateway", args: []string{"-requirements", fits, "-modules", list}, wantCode: 2},
		{name: "with -plugin", args: []string{"-requirements", fits, "-plugin", "x.so", gateways + "v5.8.0.txt"}, wantCode: 2},
		{name: "list of another module", args: []string{"-requirements", fits, "-modules", otherModule, gateways + "v5.8.0.txt"}, wantCode: 2},
		{name: "missing gateway file", args: []string{"-requirements", fits, filepath.Join(dir, "nope.txt")}, wantCode: 2},
		{name: "missing go.mod", args: []string{"-requirements", filepath.Join(dir, "nope/go.mod"), gateways + "v5.8.0.txt"}, wantCode: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.check)
	}
}
