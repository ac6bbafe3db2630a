package testutil

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// PathWithout returns a directory of links to every command on PATH except
// the hidden ones, for a PATH from which a script (build.sh) cannot find
// those. Where two PATH entries hold a name, the earlier wins, as in a
// shell. The directory is removed when the test ends.
func PathWithout(t testing.TB, hidden ...string) string {
	t.Helper()
	bin := t.TempDir()
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			name := e.Name()
			if slices.Contains(hidden, name) {
				continue
			}
			dst := filepath.Join(bin, name)
			if _, err := os.Lstat(dst); err == nil {
				continue // an earlier PATH entry wins
			}
			if err := os.Symlink(filepath.Join(dir, name), dst); err != nil {
				t.Fatal(err)
			}
		}
	}
	return bin
}
