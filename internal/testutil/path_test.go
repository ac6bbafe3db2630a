package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestPathWithout(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	for _, f := range []struct{ dir, name string }{
		{first, "tool"}, {first, "hidden"}, {second, "tool"}, {second, "other"},
	} {
		if err := os.WriteFile(filepath.Join(f.dir, f.name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", first+string(filepath.ListSeparator)+second)
	bin := PathWithout(t, "hidden")
	t.Setenv("PATH", bin)
	if _, err := exec.LookPath("hidden"); err == nil {
		t.Fatal("a hidden command is still on the PATH")
	}
	if _, err := exec.LookPath("other"); err != nil {
		t.Fatalf("a command of a later PATH entry is missing: %v", err)
	}
	target, err := os.Readlink(filepath.Join(bin, "tool"))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(first, "tool"); target != want {
		t.Fatalf("tool links to %s, want the earlier PATH entry's %s", target, want)
	}
}
