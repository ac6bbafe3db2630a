package depcheck

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
)

func TestParseFacts(t *testing.T) {
	tests := []struct {
		name        string
		text        string
		wantErr     string
		wantGo      string
		wantModules map[string]string // path -> Effective()
	}{
		{
			name: "comments, go line, modules, a replacement",
			text: "# Tyk gateway v9.9.9: header\n# how it was made\ngo 1.23.4\n\ngolang.org/x/sys v0.31.0\n" +
				"go.example.org/otelish v0.54.0 => go.example.org/otelish v0.49.0\n",
			wantGo: "1.23.4",
			wantModules: map[string]string{
				"golang.org/x/sys":       "v0.31.0",
				"go.example.org/otelish": "v0.54.0 => go.example.org/otelish v0.49.0",
			},
		},
		{
			name:        "CRLF line ends",
			text:        "# x\r\ngo 1.24\r\ngolang.org/x/sys v0.31.0\r\n",
			wantGo:      "1.24",
			wantModules: map[string]string{"golang.org/x/sys": "v0.31.0"},
		},
		{name: "module before the go line", text: "# x\ngolang.org/x/sys v0.31.0\ngo 1.24\n", wantErr: "must be the go line"},
		{name: "go line only", text: "go 1.24\n", wantErr: "not a gateway facts file"},
		{name: "empty", text: "# nothing\n", wantErr: "not a gateway facts file"},
		{name: "listed twice", text: "go 1.24\na.example/a v1.0.0\na.example/a v1.0.1\n", wantErr: "listed twice"},
		{name: "bad module line", text: "go 1.24\na.example/a v1.0.0 extra\n", wantErr: "line 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, err := ParseFacts("facts.txt", tc.text)
			if !parsedAsWanted(t, err, tc.wantErr) {
				return
			}
			if info.GoLine != tc.wantGo {
				t.Errorf("GoLine = %q, want %q", info.GoLine, tc.wantGo)
			}
			checkModules(t, info, tc.wantModules, true)
		})
	}
}

// What WriteFacts writes from a go.mod must read back as the same go line
// and the same modules, replacements included.
func TestWriteFactsRoundTrip(t *testing.T) {
	fromGoMod, err := ParseGoMod("go.mod", []byte(gatewayGoMod))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := WriteFacts(&out, fromGoMod, "Tyk gateway v9.9.9", []string{"made by a test"}); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if !strings.HasPrefix(text, "# Tyk gateway v9.9.9: its go line, then every module and version its go.mod selects (module path, version)\n# made by a test\ngo 1.23.4\n") {
		t.Errorf("header:\n%s", text)
	}
	back, err := ParseFacts("facts.txt", text)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if back.GoLine != fromGoMod.GoLine || len(back.Modules) != len(fromGoMod.Modules) {
		t.Fatalf("read back go %q with %d modules, want go %q with %d", back.GoLine, len(back.Modules), fromGoMod.GoLine, len(fromGoMod.Modules))
	}
	for path, m := range fromGoMod.Modules {
		if got, want := back.Modules[path].Effective(), m.Effective(); got != want {
			t.Errorf("%s: read back %q, want %q", path, got, want)
		}
	}
	if err := WriteFacts(&out, &Info{Source: "x"}, "t", nil); err == nil {
		t.Error("WriteFacts accepted an Info without a go line")
	}
}

func TestReadGatewayFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string { return testutil.WriteFile(t, dir, name, text) }
	tests := []struct {
		name       string
		path       string
		wantMain   string
		wantGoLine string
		wantErr    string
	}{
		{name: "a go.mod", path: write("go.mod", gatewayGoMod), wantMain: "github.com/TykTechnologies/tyk", wantGoLine: "1.23.4"},
		{name: "a facts file", path: write("v9.9.9.txt", "# facts\ngo 1.25.0\ngolang.org/x/sys v0.45.0\n"), wantGoLine: "1.25.0"},
		{name: "a go.mod whatever its name", path: write("gateway.mod", "// comment\nmodule x.example/gw\ngo 1.24\nrequire a.example/a v1.0.0\n"), wantMain: "x.example/gw", wantGoLine: "1.24"},
		{name: "neither", path: write("junk.txt", "hello world\n"), wantErr: "must be the go line"},
		{name: "missing", path: filepath.Join(dir, "absent"), wantErr: "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, err := ReadGatewayFile(tc.path)
			if !parsedAsWanted(t, err, tc.wantErr) {
				return
			}
			if info.MainModule != tc.wantMain || info.GoLine != tc.wantGoLine || info.Source != tc.path {
				t.Errorf("MainModule %q GoLine %q Source %q, want %q %q %q", info.MainModule, info.GoLine, info.Source, tc.wantMain, tc.wantGoLine, tc.path)
			}
		})
	}
}
