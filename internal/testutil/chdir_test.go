package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

func TestChdir(t *testing.T) {
	before, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	target, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Run("inside", func(t *testing.T) {
		Chdir(t, target)
		if wd, err := os.Getwd(); err != nil || wd != target {
			t.Fatalf("working directory %q (%v), want %q", wd, err, target)
		}
	})
	if wd, err := os.Getwd(); err != nil || wd != before {
		t.Fatalf("after the test: working directory %q (%v), want %q back", wd, err, before)
	}
	msg, failed := CatchFatal(t, func(tb testing.TB) { Chdir(tb, filepath.Join(target, "absent")) })
	if !failed || msg == "" {
		t.Fatal("Chdir into a missing directory did not fail the test")
	}
}
