package testutil

import (
	"os/exec"
	"strings"
	"testing"
)

// ShellEnv sources the file at path with sh, the way a script would, and
// returns the variables it exported whose names start with prefix.
func ShellEnv(t testing.TB, path, prefix string) map[string]string {
	t.Helper()
	out, err := exec.Command("sh", "-c", `set -a; . "$1"; exec env -0`, "sh", path).Output()
	if err != nil {
		t.Fatalf("sh could not source %s: %v", path, err)
	}
	env := map[string]string{}
	for _, kv := range strings.Split(string(out), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, prefix) {
			env[k] = v
		}
	}
	return env
}
