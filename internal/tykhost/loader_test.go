package tykhost

import (
	"errors"
	"os"
	"path/filepath"
	"plugin"
	"runtime"
	"strings"
	"testing"
)

func TestResolvePluginPath(t *testing.T) {
	arch := "_" + runtime.GOOS + "_" + runtime.GOARCH + ".so"
	tests := []struct {
		name    string
		version string
		path    string
		files   []string
		want    string
		wantErr error
	}{
		{name: "versioned with v wins", version: "v5.8.12", path: "/p/auth.so",
			files: []string{"/p/auth_v5.8.12" + arch, "/p/auth_5.8.12" + arch, "/p/auth.so"}, want: "/p/auth_v5.8.12" + arch},
		{name: "versioned without v next", version: "v5.8.12", path: "/p/auth.so",
			files: []string{"/p/auth_5.8.12" + arch, "/p/auth.so"}, want: "/p/auth_5.8.12" + arch},
		{name: "path as written last", version: "v5.8.12", path: "/p/auth.so",
			files: []string{"/p/auth.so"}, want: "/p/auth.so"},
		{name: "rc suffix is cut", version: "v5.8.12-rc3", path: "/p/auth.so",
			files: []string{"/p/auth_v5.8.12" + arch}, want: "/p/auth_v5.8.12" + arch},
		{name: "version without v prefix", version: "5.14.0", path: "/p/auth.so",
			files: []string{"/p/auth_v5.14.0" + arch}, want: "/p/auth_v5.14.0" + arch},
		{name: "relative path keeps its directory", version: "v5.8.12", path: "mw/auth.so",
			files: []string{"mw/auth_v5.8.12" + arch}, want: "mw/auth_v5.8.12" + arch},
		{name: "other version is not used", version: "v5.8.12", path: "/p/auth.so",
			files: []string{"/p/auth_v5.14.0" + arch}, wantErr: errPluginNotFound},
		{name: "missing file", version: "v5.8.12", path: "/p/auth.so", wantErr: errPluginNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			exists := func(p string) bool {
				for _, f := range tc.files {
					if f == p {
						return true
					}
				}
				return false
			}
			got, err := resolvePluginPath(exists, tc.version, tc.path)
			if !errors.Is(err, tc.wantErr) || got != tc.want {
				t.Fatalf("resolvePluginPath = %q, %v; want %q, %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestLoaderHandler(t *testing.T) {
	so := testPlugin(t)
	tests := []struct {
		name, path, symbol string
		wantErr            string
	}{
		{name: "handler", path: so, symbol: "AuthCheck"},
		{name: "variable of another type", path: so, symbol: "NotAHandler", wantErr: errCastHandler.Error()},
		{name: "func of another signature", path: so, symbol: "WrongSignature", wantErr: errCastHandler.Error()},
		{name: "unknown symbol", path: so, symbol: "Nope", wantErr: "symbol Nope not found"},
		{name: "missing file", path: filepath.Join(t.TempDir(), "missing.so"), symbol: "AuthCheck", wantErr: errPluginNotFound.Error()},
	}
	l := newPluginLoader(DefaultGatewayVersion)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fn, err := l.handler(tc.path, tc.symbol)
			if tc.wantErr == "" {
				if err != nil || fn == nil {
					t.Fatalf("handler = %v, %v", fn, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
	// Every lookup above used one file: it was opened once.
	if n := l.openCount(); n != 1 {
		t.Fatalf("plugin.Open called %d times, want 1", n)
	}
}

func TestLoaderOpensOncePerRealPath(t *testing.T) {
	so := testPlugin(t)
	dir := t.TempDir()
	link := filepath.Join(dir, "alias.so")
	if err := os.Symlink(so, link); err != nil {
		t.Fatal(err)
	}
	// Only the versioned name exists beside the configured path.
	versioned := filepath.Join(dir, "auth_"+DefaultGatewayVersion+"_"+runtime.GOOS+"_"+runtime.GOARCH+".so")
	if err := os.Symlink(so, versioned); err != nil {
		t.Fatal(err)
	}
	l := newPluginLoader(DefaultGatewayVersion)
	for _, p := range []string{so, link, filepath.Join(dir, "auth.so"), so} {
		if _, err := l.handler(p, "AuthCheck"); err != nil {
			t.Fatalf("handler(%q): %v", p, err)
		}
	}
	if n := l.openCount(); n != 1 {
		t.Fatalf("plugin.Open called %d times for one real path, want 1", n)
	}
}

func TestLoaderRecoversInitPanic(t *testing.T) {
	l := newPluginLoader(DefaultGatewayVersion)
	so := filepath.Join(t.TempDir(), "x.so")
	if err := os.WriteFile(so, []byte("not a plugin"), 0o600); err != nil {
		t.Fatal(err)
	}
	calls := 0
	l.open = func(string) (*plugin.Plugin, error) {
		calls++
		panic("boom in init")
	}
	for i := 0; i < 2; i++ {
		if _, err := l.handler(so, "AuthCheck"); err == nil || !strings.Contains(err.Error(), "boom in init") {
			t.Fatalf("error %v, want the recovered panic", err)
		}
	}
	if calls != 1 {
		t.Fatalf("open called %d times; a failed file must not be reopened", calls)
	}
}
