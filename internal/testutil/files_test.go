package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileReadFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, text string }{
		{"top.txt", "top"},
		{"a/b/nested.txt", "nested\n"},
		{"empty", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := WriteFile(t, dir, tc.name, tc.text)
			if p != filepath.Join(dir, tc.name) {
				t.Fatalf("WriteFile returned %q", p)
			}
			if got := string(ReadFile(t, p)); got != tc.text {
				t.Fatalf("read back %q, want %q", got, tc.text)
			}
			if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("mode %v (%v), want 0600", fi.Mode(), err)
			}
		})
	}
	if _, failed := CatchFatal(t, func(tb testing.TB) { ReadFile(tb, filepath.Join(dir, "absent")) }); !failed {
		t.Fatal("ReadFile of a missing file did not fail the test")
	}
	blocker := WriteFile(t, dir, "file", "x")
	if _, failed := CatchFatal(t, func(tb testing.TB) { WriteFile(tb, blocker, "under-a-file", "x") }); !failed {
		t.Fatal("WriteFile under a regular file did not fail the test")
	}
}
