package testserver

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMkdirTemp(t *testing.T) {
	short := t.TempDir()
	long := filepath.Join(t.TempDir(), strings.Repeat("d", MaxSocketPath))
	if err := os.Mkdir(long, 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, parent, socket string
		wantErr              error
	}{
		{"no socket", long, "", nil},
		{"a socket that fits", short, "ldapi", nil},
		{"a socket too long", long, "ldapi", ErrPathTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, err := MkdirTemp(tc.parent, "srv-", tc.socket)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("MkdirTemp = %q, %v; want %v", dir, err, tc.wantErr)
			}
			left, _ := filepath.Glob(filepath.Join(tc.parent, "srv-*"))
			if tc.wantErr != nil {
				if len(left) != 0 {
					t.Fatalf("a failed MkdirTemp left %v", left)
				}
				return
			}
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || filepath.Dir(dir) != tc.parent {
				t.Fatalf("MkdirTemp = %q (%v), want a new directory in %s", dir, err, tc.parent)
			}
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
		})
	}
}
