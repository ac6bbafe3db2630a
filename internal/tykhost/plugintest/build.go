// Package plugintest builds Go plugins for tests with the build settings of
// the running test binary, so the binary can plugin.Open them: a host and a
// plugin must agree on the Go release, -race, -trimpath, build tags and the
// version of every package they share.
package plugintest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
)

var (
	mu    sync.Mutex
	built = map[string]string{}
)

// BuildPlugin builds the package main in pkgDir with -buildmode=plugin and
// the running test binary's settings (-race, -trimpath, -tags, -gcflags,
// -ldflags, -asmflags, GOAMD64, GOEXPERIMENT), under the same GOWORK and
// GOFLAGS, and returns the path of the .so. Each package is built once per
// test process. The file lives in a fixed per-user directory under the
// system temp dir, replaced atomically, so runs do not pile up files and a
// process that already opened an older build is not disturbed.
func BuildPlugin(tb testing.TB, pkgDir string) string {
	tb.Helper()
	return build(tb, pkgDir, "-buildmode=plugin", ".so")
}

// BuildCommand builds the package main in pkgDir as an ordinary program
// with the same settings as BuildPlugin, so the program can open plugins
// built by BuildPlugin (a second gateway process, say).
func BuildCommand(tb testing.TB, pkgDir string) string {
	tb.Helper()
	return build(tb, pkgDir, "-buildmode=exe", "")
}

func build(tb testing.TB, pkgDir, buildMode, suffix string) string {
	tb.Helper()
	abs, err := filepath.Abs(pkgDir)
	if err != nil {
		tb.Fatalf("plugintest: %v", err)
	}
	flags, env, err := buildSettings()
	if err != nil {
		tb.Fatalf("plugintest: %v", err)
	}
	key := strings.Join(append([]string{abs, buildMode, runtime.Version(), os.Getenv("GOWORK")}, append(flags, env...)...), "\x00")

	mu.Lock()
	defer mu.Unlock()
	if so, ok := built[key]; ok {
		return so
	}
	sum := sha256.Sum256([]byte(key))
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("tyk-ldap-auth-plugins-%d", os.Getuid()), hex.EncodeToString(sum[:8]))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatalf("plugintest: %v", err)
	}
	so := filepath.Join(dir, filepath.Base(abs)+suffix)
	tmp := fmt.Sprintf("%s.tmp-%d", so, os.Getpid())
	goTool, err := goCommand()
	if err != nil {
		tb.Fatalf("plugintest: %v", err)
	}
	args := append([]string{"build", buildMode, "-o", tmp}, flags...)
	args = append(args, ".")
	cmd := exec.Command(goTool, args...)
	cmd.Dir = abs
	cmd.Env = append(append(os.Environ(), "CGO_ENABLED=1"), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.Remove(tmp)
		tb.Fatalf("plugintest: go %s in %s: %v\n%s", strings.Join(args, " "), abs, err, out)
	}
	if err := os.Rename(tmp, so); err != nil {
		_ = os.Remove(tmp)
		tb.Fatalf("plugintest: %v", err)
	}
	if err := touchSources(goTool, abs); err != nil {
		tb.Fatalf("plugintest: %v", err)
	}
	built[key] = so
	return so
}

// touchSources stats every source file of the plugin's packages that belong
// to the workspace's own modules. go test records files a test stats, so its
// result cache is invalidated when the plugin's code changes even though the
// plugin is not a dependency of the test binary.
func touchSources(goTool, dir string) error {
	const format = `{{if and .Module .Module.Main}}{{$d := .Dir}}` +
		`{{range .GoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .CgoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{end}}`
	cmd := exec.Command(goTool, "list", "-deps", "-f", format, ".")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("go list -deps in %s: %v", dir, err)
	}
	for _, f := range strings.Fields(string(out)) {
		if _, err := os.Stat(f); err != nil {
			return err
		}
	}
	return nil
}

// buildSettings turns the test binary's recorded build settings into go build
// flags and environment variables.
func buildSettings() (flags, env []string, err error) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return nil, nil, fmt.Errorf("no build info in the test binary")
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "-race", "-msan", "-asan", "-trimpath":
			if s.Value == "true" {
				flags = append(flags, s.Key)
			}
		case "-tags", "-gcflags", "-ldflags", "-asmflags":
			if s.Value != "" {
				flags = append(flags, s.Key+"="+s.Value)
			}
		case "GOAMD64", "GOARM64", "GOEXPERIMENT":
			env = append(env, s.Key+"="+s.Value)
		case "CGO_ENABLED":
			if s.Value != "1" {
				return nil, nil, fmt.Errorf("test binary built with CGO_ENABLED=%s; Go plugins need cgo", s.Value)
			}
		}
	}
	return flags, env, nil
}

// goCommand finds the go tool and checks it is the release that built the
// test binary; any other release builds plugins that cannot load.
func goCommand() (string, error) {
	path, err := exec.LookPath("go")
	if err != nil {
		return "", err
	}
	out, err := exec.Command(path, "env", "GOVERSION").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOVERSION: %v", err)
	}
	if v := strings.TrimSpace(string(out)); v != runtime.Version() {
		return "", fmt.Errorf("go tool on PATH is %s but the test binary was built by %s", v, runtime.Version())
	}
	return path, nil
}
