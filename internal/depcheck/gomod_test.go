package depcheck

import (
	"strings"
	"testing"
)

// gatewayGoMod is a made-up go.mod in the shape of a gateway's: a godebug
// block, direct and indirect require blocks, replacements of one version
// and of every version, and directives newer than the parser.
const gatewayGoMod = `module github.com/TykTechnologies/tyk

go 1.23.4

toolchain go1.23.6

godebug (
	tls10server=1
	tlsrsakex=1
)

require (
	github.com/example/direct v1.2.3
	go.example.org/otelish v0.54.0
	golang.org/x/crypto v0.36.0
)

require (
	"github.com/example/quoted" v0.1.0 // indirect
	github.com/example/forked v0.115.0 // indirect
	github.com/example/local v1.0.0 // indirect
	golang.org/x/sys v0.31.0 // indirect
)

replace go.example.org/otelish v0.54.0 => go.example.org/otelish v0.49.0

replace go.example.org/otelish v0.99.0 => go.example.org/otelish v0.1.0

replace github.com/example/forked => github.com/fork/forked v0.90.0

replace github.com/example/local => ../local

// A replacement of a module not required changes nothing.
replace github.com/example/unused => github.com/fork/unused v1.0.0

tool golang.org/x/tools/cmd/stringer

ignore ./node_modules
`

func TestParseGoMod(t *testing.T) {
	tests := []struct {
		name        string
		text        string
		wantErr     string
		wantGo      string
		wantModules map[string]string // path -> Effective()
		wantSkipped string
	}{
		{
			name:   "gateway-shaped go.mod",
			text:   gatewayGoMod,
			wantGo: "1.23.4",
			wantModules: map[string]string{
				"github.com/example/direct": "v1.2.3",
				"go.example.org/otelish":    "v0.54.0 => go.example.org/otelish v0.49.0",
				"golang.org/x/crypto":       "v0.36.0",
				"github.com/example/quoted": "v0.1.0",
				"github.com/example/forked": "v0.115.0 => github.com/fork/forked v0.90.0",
				"github.com/example/local":  "v1.0.0 => ../local",
				"golang.org/x/sys":          "v0.31.0",
			},
		},
		{
			name:        "a directive from the future is skipped and named",
			text:        "module example.com/m\n\ngo 1.30\n\nfrobnicate all\n\nsparkle (\n\ta\n)\n\nrequire golang.org/x/sys v0.40.0\n",
			wantGo:      "1.30",
			wantModules: map[string]string{"golang.org/x/sys": "v0.40.0"},
			wantSkipped: "frobnicate sparkle",
		},
		{
			name:   "replacement of one version wins over one of every version, in any order",
			text:   "module m.example/m\ngo 1.23\nrequire a.example/a v1.0.0\nreplace a.example/a => b.example/any v9.0.0\nreplace a.example/a v1.0.0 => b.example/exact v1.0.1\n",
			wantGo: "1.23",
			wantModules: map[string]string{
				"a.example/a": "v1.0.0 => b.example/exact v1.0.1",
			},
		},
		{
			name:        "replacement of another version does not apply",
			text:        "module m.example/m\ngo 1.23\nrequire a.example/a v1.0.0\nreplace a.example/a v0.9.0 => b.example/old v0.9.1\n",
			wantGo:      "1.23",
			wantModules: map[string]string{"a.example/a": "v1.0.0"},
		},
		{name: "no module", text: "go 1.23\nrequire a.example/a v1.0.0\n", wantErr: "no module directive"},
		{name: "no go line", text: "module m.example/m\nrequire a.example/a v1.0.0\n", wantErr: "no go directive"},
		{name: "no requirements", text: "module m.example/m\ngo 1.23\n", wantErr: "requires no modules"},
		{name: "not canonical version", text: "module m.example/m\ngo 1.23\nrequire a.example/a master\n", wantErr: `version "master" invalid`},
		{name: "syntax error", text: "module m.example/m\ngo 1.23\nrequire (\n\ta.example/a v1.0.0\n", wantErr: "unterminated block"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, err := ParseGoMod("go.mod", []byte(tc.text))
			if !parsedAsWanted(t, err, tc.wantErr) {
				return
			}
			if info.GoLine != tc.wantGo {
				t.Errorf("GoLine = %q, want %q", info.GoLine, tc.wantGo)
			}
			checkModules(t, info, tc.wantModules, true)
			if got := strings.Join(info.Skipped, " "); got != tc.wantSkipped {
				t.Errorf("Skipped = %q, want %q", got, tc.wantSkipped)
			}
			if info.GoVersion != "" || info.Settings != nil {
				t.Errorf("a go.mod cannot know the Go release or build settings: %q %v", info.GoVersion, info.Settings)
			}
		})
	}
}

func TestParseGoModMainModule(t *testing.T) {
	info, err := ParseGoMod("gw/go.mod", []byte(gatewayGoMod))
	if err != nil {
		t.Fatal(err)
	}
	if info.MainModule != "github.com/TykTechnologies/tyk" || info.Source != "gw/go.mod" {
		t.Errorf("MainModule, Source = %q, %q", info.MainModule, info.Source)
	}
}
