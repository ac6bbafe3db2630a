package depcheck

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
)

// These tests run the real `./build.sh depcheck`, which builds the depcheck
// command, lists this module's requirement graph and checks it.

func runBuildShDepcheck(t *testing.T, extraEnv []string, args ...string) (int, string) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", append([]string{filepath.Join(root, "build.sh"), "depcheck"}, args...)...)
	cmd.Dir = t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "TYK_SRC" {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, extraEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run build.sh: %v", err)
		}
		return ee.ExitCode(), string(out)
	}
	return 0, string(out)
}

func TestBuildShDepcheck(t *testing.T) {
	stored, err := filepath.Glob(filepath.Join(gatewaysDir, "v*.txt"))
	if err != nil || len(stored) == 0 {
		t.Fatalf("stored gateways: %v %v", stored, err)
	}
	dir := t.TempDir()
	write := func(name, text string) string { return testutil.WriteFile(t, dir, name, text) }
	// Gateway source trees: one older than this module's go line and pins,
	// one newer.
	oldSrc := write("old/go.mod", "module github.com/TykTechnologies/tyk\n\ngo 1.22.6\n\nrequire golang.org/x/sys v0.25.0\n")
	newSrc := write("new/go.mod", "module github.com/TykTechnologies/tyk\n\ngo 1.25.0\n\nrequire golang.org/x/sys v0.45.0\n")

	tests := []struct {
		name     string
		env      []string
		args     []string
		wantCode int
		wantOut  []string
	}{
		{
			name:    "every stored release",
			wantOut: []string{fmt.Sprintf("against %d gateway(s)", len(stored)), fmt.Sprintf("depcheck: all %d gateways OK", len(stored))},
		},
		{
			name:     "a gateway go.mod too old",
			args:     []string{oldSrc, newSrc},
			wantCode: 1,
			wantOut: []string{
				"go line: the plugin module's go.mod says go 1.23, the gateway's go.mod says go 1.22.6",
				"module golang.org/x/sys: the plugin module selects v0.28.0, the gateway's go.mod has v0.25.0",
				"depcheck: FAIL for 1 of 2 gateways: " + oldSrc,
				"nothing was built",
			},
		},
		{
			name:    "TYK_SRC",
			env:     []string{"TYK_SRC=" + filepath.Dir(newSrc)},
			wantOut: []string{"against gateway " + newSrc, "depcheck: OK: go 1.23 is not above go 1.25.0"},
		},
		{
			name:     "missing file",
			args:     []string{filepath.Join(dir, "nope.mod")},
			wantCode: 1,
			wantOut:  []string{"nope.mod: no such file"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out := runBuildShDepcheck(t, tc.env, tc.args...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; output:\n%s", code, tc.wantCode, out)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}
