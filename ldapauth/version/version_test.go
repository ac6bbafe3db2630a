package version

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	for _, tc := range []struct {
		info Info
		want string
	}{
		{Info{Version: "dev", Go: "go1.23.4"}, "tyk-ldap-auth dev (go1.23.4)"},
		{Info{Version: "v0.1.0", BuildID: "20261207-ab", Go: "go1.25.4"}, "tyk-ldap-auth v0.1.0 (build 20261207-ab, go1.25.4)"},
		{Info{Version: "v0.1.0", BuildID: "b1", Gateway: "v5.14.0", Go: "go1.25.4"}, "tyk-ldap-auth v0.1.0 (build b1, for Tyk v5.14.0, go1.25.4)"},
	} {
		if got := tc.info.String(); got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.info, got, tc.want)
		}
	}
}

// TestLDFlagsStampABinary builds a real program with LDFlags and runs it:
// the linker must accept the flags and the variables must carry the values.
func TestLDFlagsStampABinary(t *testing.T) {
	dir := t.TempDir()
	mod := "example.test/stamp"
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src, err := os.ReadFile("version.go")
	if err != nil {
		t.Fatal(err)
	}
	write("go.mod", "module "+mod+"\n\ngo 1.23\n")
	write("ldapauth/version/version.go", string(src))
	write("main.go", "package main\n\nimport (\n\t\"fmt\"\n\n\t\""+mod+"/ldapauth/version\"\n)\n\nfunc main() { fmt.Print(version.Get().String()) }\n")
	info := Info{Version: "v9.8.7", BuildID: "20261207-abc", Gateway: "v5.14.0"}
	bin := filepath.Join(dir, "stamped")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", LDFlags(mod, info), "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "tyk-ldap-auth v9.8.7 (build 20261207-abc, for Tyk v5.14.0, " + runtime.Version() + ")"
	if !strings.HasPrefix(string(out), "tyk-ldap-auth v9.8.7 (build 20261207-abc, for Tyk v5.14.0, go") {
		t.Fatalf("stamped binary says %q, want like %q", out, want)
	}
}
