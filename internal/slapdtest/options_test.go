package slapdtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
)

func TestModulePathOf(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, content, want string }{
		{"plain", "module " + ModulePath + "\n\ngo 1.24\n", ModulePath},
		{"quoted", "// c\nmodule \"" + ModulePath + "\"\n", ModulePath},
		{"other", "module github.com/TykTechnologies/tyk\n", "github.com/TykTechnologies/tyk"},
		{"prefix only", "modules x\n", ""},
		{"none", "go 1.24\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name+".mod")
			if err := os.WriteFile(p, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			if got := modulePathOf(p); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	if got := modulePathOf(filepath.Join(dir, "missing")); got != "" {
		t.Fatalf("missing file: %q", got)
	}
}

// FindModuleRoot skips a nested module (like the Tyk stand-in) and fails
// clearly outside the project.
func TestFindModuleRoot(t *testing.T) {
	root := t.TempDir()
	nested := filepath.Join(root, "testdata", "stand", "pkg")
	if err := os.MkdirAll(nested, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "go.mod"), "module "+ModulePath+"\n")
	write(filepath.Join(root, "testdata", "stand", "go.mod"), "module github.com/TykTechnologies/tyk\n")
	testutil.Chdir(t, nested)
	got, err := FindModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := filepath.EvalSymlinks(root); got != root && got != want {
		t.Fatalf("root %q, want %q", got, root)
	}
	dd, err := DefaultDataDir()
	if err != nil || dd != filepath.Join(got, "testdata", "ldap") {
		t.Fatalf("DefaultDataDir = %q, %v", dd, err)
	}
	if viaT := ModuleRootT(t); viaT != got {
		t.Fatalf("ModuleRootT = %q, want %q", viaT, got)
	}
	testutil.Chdir(t, t.TempDir())
	if _, err := FindModuleRoot(); err == nil {
		t.Fatal("found a module root outside the project")
	}
	if _, failed := testutil.CatchFatal(t, func(t testing.TB) { ModuleRootT(t) }); !failed {
		t.Fatal("ModuleRootT did not fail the test outside the project")
	}
}

func TestLDAPIURL(t *testing.T) {
	tests := []struct{ path, want string }{
		{"/tmp/slapdtest-1/ldapi", "ldapi://%2Ftmp%2Fslapdtest-1%2Fldapi"},
		{"/tmp/a b,c%/ldapi", "ldapi://%2Ftmp%2Fa%20b%2Cc%25%2Fldapi"},
	}
	for _, tc := range tests {
		if got := ldapiURL(tc.path); got != tc.want {
			t.Errorf("ldapiURL(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

// The project's own data directory is found from this package's directory.
func TestDefaultDataDirHasLDIF(t *testing.T) {
	dd, err := DefaultDataDir()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dd, "*.ldif"))
	if len(files) < 5 {
		t.Fatalf("%s holds %d LDIF files", dd, len(files))
	}
}
