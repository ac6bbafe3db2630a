package depcheck

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestParseVersionM(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		wantErr string
		check   func(t *testing.T, i *Info)
	}{
		{
			name: "real plugin output",
			text: sample(t, "plugin.txt"),
			check: func(t *testing.T, i *Info) {
				if i.Source != "ldapauth.so" || i.GoVersion != "go1.26.8" {
					t.Errorf("Source, GoVersion = %q, %q", i.Source, i.GoVersion)
				}
				if i.MainModule != "github.com/tyk-ldap-auth/tyk-ldap-auth" || i.MainPackage != "github.com/tyk-ldap-auth/tyk-ldap-auth/plugin" {
					t.Errorf("MainModule, MainPackage = %q, %q", i.MainModule, i.MainPackage)
				}
				if got := i.Modules["github.com/go-ldap/ldap/v3"].Version; got != "v3.4.10" {
					t.Errorf("go-ldap version = %q", got)
				}
				if i.Settings["-buildmode"] != "plugin" || i.Settings["-trimpath"] != "true" || i.Settings["CGO_ENABLED"] != "1" {
					t.Errorf("Settings = %v", i.Settings)
				}
			},
		},
		{
			name: "replacement line",
			text: "tyk: go1.24.9\n\tpath\tgithub.com/TykTechnologies/tyk\n\tdep\tgithub.com/getkin/kin-openapi\tv0.132.0\n\t=>\tgithub.com/TykTechnologies/kin-openapi\tv0.90.1\th1:x=\n",
			check: func(t *testing.T, i *Info) {
				m := i.Modules["github.com/getkin/kin-openapi"]
				if got, want := m.Effective(), "v0.132.0 => github.com/TykTechnologies/kin-openapi v0.90.1"; got != want {
					t.Errorf("Effective() = %q, want %q", got, want)
				}
			},
		},
		{
			name: "CRLF line ends",
			text: strings.ReplaceAll(sample(t, "gateway.txt"), "\n", "\r\n"),
			check: func(t *testing.T, i *Info) {
				if i.GoVersion != "go1.26.8" || len(i.Modules) != 3 {
					t.Errorf("GoVersion %q, %d modules", i.GoVersion, len(i.Modules))
				}
			},
		},
		{name: "empty", text: "", wantErr: "empty"},
		{name: "no Go version", text: "tyk: not a go binary\n", wantErr: "does not name a Go version"},
		{name: "indented first line", text: "\tpath\tx\n", wantErr: "is not \"FILE: goVERSION\""},
		{name: "two files", text: sample(t, "plugin.txt") + sample(t, "gateway.txt"), wantErr: "more than one file"},
		{name: "garbage body", text: "x: go1.24.1\n\tdep\tonly-a-path\n", wantErr: "parse build info"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, err := ParseVersionM(tc.text)
			if !parsedAsWanted(t, err, tc.wantErr) {
				return
			}
			tc.check(t, info)
		})
	}
}

func TestParseModList(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		wantErr string
		want    map[string]string // module -> Effective()
		main    string
	}{
		{
			name: "real output",
			text: sample(t, "gateway-modlist.txt"),
			main: "github.com/TykTechnologies/tyk",
			want: map[string]string{"golang.org/x/crypto": "v0.31.0", "golang.org/x/sys": "v0.28.0"},
		},
		{
			name: "replacements",
			text: "github.com/TykTechnologies/tyk\na.example/m v1.0.0 => b.example/m v1.0.1\nc.example/m v0.1.0 => ../c\nd.example/m => e.example/m v2.0.0\n",
			main: "github.com/TykTechnologies/tyk",
			want: map[string]string{
				"a.example/m": "v1.0.0 => b.example/m v1.0.1",
				"c.example/m": "v0.1.0 => ../c",
				"d.example/m": " => e.example/m v2.0.0",
			},
		},
		{name: "no modules", text: "github.com/TykTechnologies/tyk\n", wantErr: "no modules"},
		{name: "bad line", text: "main\na b c\n", wantErr: "line 2"},
		{name: "bad replacement", text: "main\na v1 => b v2 extra\n", wantErr: "bad replacement"},
		{name: "dangling arrow", text: "main\na v1 =>\n", wantErr: "line 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, err := ParseModList("test", tc.text)
			if !parsedAsWanted(t, err, tc.wantErr) {
				return
			}
			if info.MainModule != tc.main {
				t.Errorf("MainModule = %q, want %q", info.MainModule, tc.main)
			}
			checkModules(t, info, tc.want, false)
			if info.GoVersion != "" || info.Settings != nil {
				t.Errorf("a module list cannot know Go version or settings: %q %v", info.GoVersion, info.Settings)
			}
		})
	}
}

func TestReadFile(t *testing.T) {
	// The running test binary is a real ELF file with build information.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	info, err := ReadFile(self)
	if err != nil {
		t.Fatalf("ReadFile(test binary): %v", err)
	}
	if info.GoVersion != runtime.Version() {
		t.Errorf("GoVersion = %q, want %q", info.GoVersion, runtime.Version())
	}
	// What the file records must be what the running binary reports about
	// itself. (Test binaries record build settings from Go 1.24 on; from an
	// older Go both lists are empty.)
	own, ok := debug.ReadBuildInfo()
	if !ok {
		t.Fatal("the test binary has no build information")
	}
	if info.MainModule != own.Main.Path {
		t.Errorf("MainModule = %q, want %q", info.MainModule, own.Main.Path)
	}
	if len(info.Settings) != len(own.Settings) {
		t.Errorf("%d settings %v, want %d", len(info.Settings), info.Settings, len(own.Settings))
	}
	for _, s := range own.Settings {
		if got := info.Settings[s.Key]; got != s.Value {
			t.Errorf("setting %s = %q, want %q", s.Key, got, s.Value)
		}
	}

	text, err := ReadFile("testdata/plugin.txt")
	if err != nil {
		t.Fatalf("ReadFile(text): %v", err)
	}
	if text.Settings["-buildmode"] != "plugin" {
		t.Errorf("text sample settings = %v", text.Settings)
	}

	dir := t.TempDir()
	notGo := filepath.Join(dir, "fake.so")
	if err := os.WriteFile(notGo, []byte("\x7fELF not really"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(notGo); err == nil {
		t.Error("ReadFile accepted a broken ELF file")
	}
	if _, err := ReadFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("ReadFile accepted a missing file")
	}
}
