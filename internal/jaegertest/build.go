package jaegertest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
)

// Version is the Jaeger release the tests run (tool/go.mod pins it).
const Version = "v1.75.0"

// jaegerPackage is the all-in-one command inside the Jaeger module.
const jaegerPackage = "github.com/jaegertracing/jaeger/cmd/jaeger"

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// Binary returns the Jaeger binary, building it on first use: JAEGER_BIN
// when set, else a build of tool/go.mod cached per Go release and tool
// go.sum. A fresh build takes minutes; later calls (and later test runs)
// reuse it.
func Binary() (string, error) {
	binaryOnce.Do(func() { binaryPath, binaryErr = findOrBuild() })
	return binaryPath, binaryErr
}

func findOrBuild() (string, error) {
	if p := os.Getenv("JAEGER_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("jaegertest: JAEGER_BIN: %w", err)
		}
		return p, nil
	}
	tool, err := toolDir()
	if err != nil {
		return "", err
	}
	sum, err := os.ReadFile(filepath.Join(tool, "go.sum"))
	if err != nil {
		return "", fmt.Errorf("jaegertest: %w", err)
	}
	h := sha256.Sum256(append(sum, runtime.Version()...))
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "tyk-ldap-auth", "jaeger-"+Version+"-"+hex.EncodeToString(h[:6]))
	bin := filepath.Join(dir, "jaeger")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("jaegertest: %w", err)
	}
	unlock, err := lockFile(filepath.Join(dir, "build.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(bin); err == nil {
		return bin, nil // another process built it while this one waited
	}
	tmp := fmt.Sprintf("%s.tmp-%d", bin, os.Getpid())
	cmd := exec.Command(goCommand(), "build", "-trimpath", "-o", tmp, jaegerPackage)
	cmd.Dir = tool
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("jaegertest: building Jaeger %s in %s: %v\n%s", Version, tool, err, tail(string(out), 40))
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", fmt.Errorf("jaegertest: %w", err)
	}
	return bin, nil
}

// toolDir finds tool/ from the module the test runs in.
func toolDir() (string, error) {
	out, err := exec.Command(goCommand(), "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("jaegertest: go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("jaegertest: not inside the tyk-ldap-auth module")
	}
	dir := filepath.Join(filepath.Dir(gomod), "internal", "jaegertest", "tool")
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return "", fmt.Errorf("jaegertest: %w", err)
	}
	return dir, nil
}

func goCommand() string {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	return "go"
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// lockFile takes an exclusive lock on path, waiting for other processes.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("jaegertest: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("jaegertest: lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}
