package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	modlist, err := os.ReadFile("../../testdata/gateway-modlist.txt")
	if err != nil {
		t.Fatal(err)
	}
	const td = "../../testdata/"
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		wantOut  []string
	}{
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
		{name: "no gateway", args: []string{"-plugin", td + "plugin.txt"}, wantCode: 2},
		{name: "both gateways", args: []string{"-plugin", td + "plugin.txt", "-gateway", "a", "-gateway-modules", "b"}, wantCode: 2},
		{name: "missing plugin", args: []string{"-plugin", td + "nope.so", "-gateway", td + "gateway.txt"}, wantCode: 2},
		{name: "bad flag", args: []string{"-nope"}, wantCode: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
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
		})
	}
}
