package bundle

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
)

// These tests run the real ./build.sh bundle with SO_PATH (so no plugin build
// and no Docker) and a PATH from which tyk and docker are removed: they check
// what an operator without Tyk's bundler sees, and how build.sh calls the
// bundler when there is one.

const soName = "ldapauth_v5.8.12_linux_amd64.so"

type bundleRun struct {
	code   int
	output string
	dist   string
}

func runBundle(t *testing.T, path string, extraEnv ...string) bundleRun {
	t.Helper()
	return runBundleIn(t, path, filepath.Join(t.TempDir(), "dist"), extraEnv...)
}

// runBundleIn runs ./build.sh bundle with DIST_DIR=dist and SO_PATH set to a
// dummy .so, PATH=path, plus extraEnv.
func runBundleIn(t *testing.T, path, dist string, extraEnv ...string) bundleRun {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	so := filepath.Join(tmp, soName)
	if err := os.WriteFile(so, []byte("not really a plugin"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", filepath.Join(root, "build.sh"), "bundle")
	cmd.Dir = tmp
	env := []string{"PATH=" + path, "SO_PATH=" + so, "DIST_DIR=" + dist}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "PATH", "TYK_BIN", "TYK_SRC", "BUNDLE_SIGNING_KEY", "BUILD_ID", "SO_PATH", "DIST_DIR":
			continue
		}
		env = append(env, kv)
	}
	cmd.Env = append(env, extraEnv...)
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run build.sh: %v", err)
		}
		code = ee.ExitCode()
	}
	return bundleRun{code: code, output: string(out), dist: dist}
}

func checkManifest(t *testing.T, path string) {
	t.Helper()
	m, err := Read(path)
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if err := m.Validate(); err != nil {
		t.Errorf("generated manifest invalid: %v", err)
	}
	if len(m.FileList) != 1 || m.FileList[0] != soName {
		t.Errorf("file_list = %q, want [%s]", m.FileList, soName)
	}
	if ac := m.CustomMiddleware.AuthCheck; ac.Name != "LDAPAuth" || ac.Path != "ldapauth.so" {
		t.Errorf("auth_check = %+v", ac)
	}
	if m.CustomMiddleware.Driver != "goplugin" {
		t.Errorf("driver = %q", m.CustomMiddleware.Driver)
	}
}

func TestBuildShBundleWithoutBundler(t *testing.T) {
	r := runBundle(t, testutil.PathWithout(t, "tyk", "docker"), "BUILD_ID=nobundler")
	if r.code != 3 {
		t.Fatalf("exit %d, want 3; output:\n%s", r.code, r.output)
	}
	for _, want := range []string{
		"no Tyk bundler found",
		"NOT written: " + filepath.Join(r.dist, "ldapauth-nobundler.zip"),
		"TYK_BIN=/path/to/tyk",
		"tyk bundle build -m manifest.json",
	} {
		if !strings.Contains(r.output, want) {
			t.Errorf("output lacks %q:\n%s", want, r.output)
		}
	}
	stage := filepath.Join(r.dist, "ldapauth-nobundler")
	checkManifest(t, filepath.Join(stage, "manifest.json"))
	if _, err := os.Stat(filepath.Join(stage, soName)); err != nil {
		t.Errorf("the .so is not beside the manifest: %v", err)
	}
	if _, err := os.Stat(filepath.Join(r.dist, "ldapauth-nobundler.zip")); err == nil {
		t.Error("a zip exists although there is no bundler")
	}
}

// fakeTyk stands in for the gateway binary's bundler: it records its
// arguments and creates the -o file. It does not make a real bundle; the
// point is how build.sh calls it.
const fakeTyk = `#!/bin/sh
printf '%s\n' "$*" > "$FAKE_TYK_LOG"
out=
while [ $# -gt 0 ]; do
  if [ "$1" = "-o" ]; then out=$2; fi
  shift
done
[ -f manifest.json ] || exit 9
printf 'zip' > "$out"
`

func TestBuildShBundleCallsBundler(t *testing.T) {
	keyDir := t.TempDir()
	key := filepath.Join(keyDir, "signing.pem")
	if err := os.WriteFile(key, []byte("-----BEGIN RSA PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		env      []string
		wantArgs string
	}{
		{name: "unsigned", env: []string{"BUILD_ID=u1"}, wantArgs: "bundle build -m manifest.json -o ldapauth-u1.zip -y"},
		{name: "signed", env: []string{"BUILD_ID=s1", "BUNDLE_SIGNING_KEY=" + key}, wantArgs: "bundle build -m manifest.json -o ldapauth-s1.zip -k " + key},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bin := testutil.PathWithout(t, "tyk", "docker")
			tyk := filepath.Join(t.TempDir(), "tyk")
			if err := os.WriteFile(tyk, []byte(fakeTyk), 0o755); err != nil {
				t.Fatal(err)
			}
			log := filepath.Join(t.TempDir(), "args")
			r := runBundle(t, bin, append(tc.env, "TYK_BIN="+tyk, "FAKE_TYK_LOG="+log)...)
			if r.code != 0 {
				t.Fatalf("exit %d; output:\n%s", r.code, r.output)
			}
			args, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(string(args)); got != tc.wantArgs {
				t.Errorf("bundler called with %q, want %q", got, tc.wantArgs)
			}
			id := strings.TrimPrefix(tc.env[0], "BUILD_ID=")
			if _, err := os.Stat(filepath.Join(r.dist, "ldapauth-"+id+".zip")); err != nil {
				t.Errorf("zip not moved into dist: %v", err)
			}
			checkManifest(t, filepath.Join(r.dist, "ldapauth-"+id, "manifest.json"))
		})
	}
}

func TestBuildShBundleNeverReusesAName(t *testing.T) {
	bin := testutil.PathWithout(t, "tyk", "docker")
	tyk := filepath.Join(t.TempDir(), "tyk")
	if err := os.WriteFile(tyk, []byte(fakeTyk), 0o755); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(t.TempDir(), "args")
	dist := filepath.Join(t.TempDir(), "dist")
	env := []string{"BUILD_ID=again", "TYK_BIN=" + tyk, "FAKE_TYK_LOG=" + log}
	first := runBundleIn(t, bin, dist, env...)
	if first.code != 0 {
		t.Fatalf("first bundle: exit %d\n%s", first.code, first.output)
	}
	second := runBundleIn(t, bin, dist, env...)
	if second.code == 0 || !strings.Contains(second.output, "a new build needs a new bundle name") {
		t.Fatalf("second bundle with the same id: exit %d\n%s", second.code, second.output)
	}
}

func TestBuildShBundleRejectsBadBuildID(t *testing.T) {
	r := runBundle(t, testutil.PathWithout(t, "tyk", "docker"), "BUILD_ID=../evil")
	if r.code == 0 || !strings.Contains(r.output, "BUILD_ID must be") {
		t.Fatalf("exit %d, output:\n%s", r.code, r.output)
	}
}
