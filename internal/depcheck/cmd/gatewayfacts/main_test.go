package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/depcheck"
)

// A made-up gateway go.mod: the shape matters, not Tyk's content.
const gatewayGoMod = `module github.com/TykTechnologies/tyk

go 1.23.4

godebug tlsrsakex=1

require (
	go.example.org/otelish v0.54.0
	golang.org/x/sys v0.31.0 // indirect
)

replace go.example.org/otelish v0.54.0 => go.example.org/otelish v0.49.0
`

func TestRun(t *testing.T) {
	dir := t.TempDir()
	gomod := filepath.Join(dir, "go.mod")
	if err := os.WriteFile(gomod, []byte(gatewayGoMod), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.mod")
	if err := os.WriteFile(other, []byte(strings.Replace(gatewayGoMod, "github.com/TykTechnologies/tyk", "example.com/not-tyk", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	const facts = "# Tyk gateway v9.9.9: its go line, then every module and version its go.mod selects (module path, version)\n" +
		"# Derived from the go.mod of github.com/TykTechnologies/tyk at tag v9.9.9 (go line, required modules, replacements that apply), with:\n" +
		"# git -C TYK_CHECKOUT show v9.9.9:go.mod | go run ./internal/depcheck/cmd/gatewayfacts -release v9.9.9\n" +
		"go 1.23.4\n" +
		"go.example.org/otelish v0.54.0 => go.example.org/otelish v0.49.0\n" +
		"golang.org/x/sys v0.31.0\n"

	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "go.mod on stdin", args: []string{"-release", "v9.9.9"}, stdin: gatewayGoMod, wantStdout: facts},
		{name: "go.mod from a file", args: []string{"-release", "v9.9.9", "-gomod", gomod}, wantStdout: facts},
		{name: "not the gateway's go.mod", args: []string{"-release", "v9.9.9", "-gomod", other}, wantCode: 2, wantStderr: "is the go.mod of example.com/not-tyk"},
		{name: "release is not a tag", args: []string{"-release", "5.8.0"}, stdin: gatewayGoMod, wantCode: 2, wantStderr: "usage"},
		{name: "no release", args: nil, stdin: gatewayGoMod, wantCode: 2, wantStderr: "usage"},
		{name: "not a go.mod", args: []string{"-release", "v9.9.9"}, stdin: "hello\n", wantCode: 2, wantStderr: "no module directive"},
		{name: "missing file", args: []string{"-release", "v9.9.9", "-gomod", filepath.Join(dir, "nope")}, wantCode: 2, wantStderr: "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(tc.args, strings.NewReader(tc.stdin), &out, &errOut)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", code, tc.wantCode, errOut.String())
			}
			if tc.wantCode == 0 && out.String() != tc.wantStdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", out.String(), tc.wantStdout)
			}
			if !strings.Contains(errOut.String(), tc.wantStderr) {
				t.Errorf("stderr %q lacks %q", errOut.String(), tc.wantStderr)
			}
		})
	}
}

// What the command writes is what the dependency check reads.
func TestOutputReadsBack(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-release", "v9.9.9"}, strings.NewReader(gatewayGoMod), &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	info, err := depcheck.ParseFacts("out", out.String())
	if err != nil {
		t.Fatal(err)
	}
	if info.GoLine != "1.23.4" || info.Modules["go.example.org/otelish"].Replace == nil || info.Modules["golang.org/x/sys"].Version != "v0.31.0" {
		t.Errorf("read back %+v", info)
	}
}
