package buildsh

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

func root(t *testing.T) string {
	t.Helper()
	// The module root, found from the package directory the test runs in
	// (runtime.Caller paths are module-relative under -trimpath).
	dir, err := slapdtest.FindModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, env []string, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = root(t)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return r
}

// internalVars are read by the scripts but set by the scripts themselves,
// the compiler image or the system, not by an operator.
var internalVars = map[string]bool{
	"BUILD_TAGS": true, "DEPCHECK": true, "GITHUB_TAG": true, "MODE": true, "OUT_DIR": true,
	"TYK_GW_PATH": true, "TMPDIR": true,
}

// TestHelpListsEverySetting: every environment variable build.sh or the
// demo script reads with a default (${NAME:-...}, ${NAME:+...}) is named in
// ./build.sh help.
func TestHelpListsEverySetting(t *testing.T) {
	help := run(t, os.Environ(), "bash", "build.sh", "help")
	if help.code != 0 {
		t.Fatalf("help: exit %d\n%s", help.code, help.stderr)
	}
	read := regexp.MustCompile(`\$\{([A-Z][A-Z0-9_]*)(:-|:\+|:\?|-|\+)`)
	seen := map[string]bool{}
	for _, script := range []string{"build.sh", "testdata/demo/run.sh"} {
		data, err := os.ReadFile(filepath.Join(root(t), script))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range read.FindAllStringSubmatch(string(data), -1) {
			name := m[1]
			if internalVars[name] || seen[name] {
				continue
			}
			seen[name] = true
			if !regexp.MustCompile(`\b` + name + `\b`).MatchString(help.stdout) {
				t.Errorf("%s reads %s, which ./build.sh help does not list", script, name)
			}
		}
	}
	if len(seen) < 10 {
		t.Fatalf("found only %d settings: the scan is broken", len(seen))
	}
}

// pathWithout is a PATH holding every command of this one except the named.
func pathWithout(t *testing.T, hidden ...string) string {
	t.Helper()
	bin := t.TempDir()
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			name := e.Name()
			skip := false
			for _, h := range hidden {
				skip = skip || name == h
			}
			dst := filepath.Join(bin, name)
			if _, err := os.Lstat(dst); skip || err == nil {
				continue
			}
			if err := os.Symlink(filepath.Join(dir, name), dst); err != nil {
				t.Fatal(err)
			}
		}
	}
	return bin
}

func envWith(path string, extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PATH=") {
			out = append(out, kv)
		}
	}
	return append(append(out, "PATH="+path), extra...)
}

// TestMissingGoSaysWhereToGetIt: without go on PATH, build.sh and the demo
// name the minimum version and https://go.dev/dl/.
func TestMissingGoSaysWhereToGetIt(t *testing.T) {
	env := envWith(pathWithout(t, "go", "gofmt"))
	for _, args := range [][]string{{"build.sh", "depcheck"}, {"testdata/demo/run.sh"}} {
		r := run(t, env, "bash", args...)
		if r.code == 0 || !strings.Contains(r.stderr, "Go 1.23 or newer") || !strings.Contains(r.stderr, "https://go.dev/dl/") {
			t.Errorf("%v without go: exit %d, stderr:\n%s", args, r.code, r.stderr)
		}
	}
}

// TestDemoPortClashNamesDEMO_PORT: a taken port stops the demo before it
// builds anything, naming the setting to change.
func TestDemoPortClashNamesDEMO_PORT(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	start := time.Now()
	r := run(t, append(os.Environ(), "DEMO_PORT="+port, "DEMO_WAIT=0"), "bash", "testdata/demo/run.sh")
	if r.code != 1 || !strings.Contains(r.stderr, "127.0.0.1:"+port+" is already in use: set DEMO_PORT") {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stdout, "building") {
		t.Errorf("the demo built before refusing the port (%v):\n%s", time.Since(start), r.stdout)
	}
}

// TestCheckBuildsOnce: the second ./build.sh check reuses the binary the
// first one built, and a changed source file makes it rebuild.
func TestCheckBuildsOnce(t *testing.T) {
	bin := filepath.Join(root(t), ".work", "bin", "ldapauth-check")
	missing := filepath.Join(t.TempDir(), "missing.json")
	first := run(t, os.Environ(), "bash", "build.sh", "check", missing, "alice")
	if first.code != 2 || !strings.Contains(first.stderr, "no such file") {
		t.Fatalf("first check: exit %d\n%s", first.code, first.stderr)
	}
	before, err := os.Stat(bin)
	if err != nil {
		t.Fatalf("no reusable binary after the first check: %v", err)
	}
	// Without go on PATH the second run can only succeed by reusing it.
	second := run(t, envWith(pathWithout(t, "go")), "bash", "build.sh", "check", missing, "alice")
	if second.code != 2 || !strings.Contains(second.stderr, "no such file") {
		t.Fatalf("second check (no go on PATH): exit %d\n%s", second.code, second.stderr)
	}
	after, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	if !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("the second check rebuilt the binary")
	}
}
