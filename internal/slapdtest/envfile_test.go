package slapdtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestShellQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "'plain'"},
		{"o'brien", `'o'\''brien'`},
		{`cn=Smith\, John`, `'cn=Smith\, John'`},
		{"dave:pass word", "'dave:pass word'"},
		{"", "''"},
	}
	for _, tc := range tests {
		if got := ShellQuote(tc.in); got != tc.want {
			t.Errorf("ShellQuote(%q) = %s, want %s", tc.in, got, tc.want)
		}
		// The shell must read back exactly the input.
		out, err := exec.Command("sh", "-c", "printf %s "+ShellQuote(tc.in)).Output()
		if err != nil || string(out) != tc.in {
			t.Errorf("sh read %q back as %q (%v)", tc.in, out, err)
		}
	}
}

func TestWriteEnvFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ldap.env")
	if err := WriteEnvFile(path, "A='1'\n"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "A='1'\n" {
		t.Fatalf("read back %q, %v", b, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v; want 0600 (the file holds passwords)", fi.Mode(), err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".env-*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}
