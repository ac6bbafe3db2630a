package testserver

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCheckPrograms(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("not a program"), 0o644); err != nil {
		t.Fatal(err)
	}
	notInstalled := errors.New("install it")
	tests := []struct {
		name    string
		paths   []string
		wantErr bool
	}{
		{"installed", []string{"/bin/sh"}, false},
		{"none to check", nil, false},
		{"missing", []string{"/bin/sh", filepath.Join(dir, "absent")}, true},
		{"a directory", []string{dir}, true},
		{"not executable", []string{plain}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPrograms(notInstalled, tc.paths...)
			if tc.wantErr != errors.Is(err, notInstalled) || tc.wantErr != (err != nil) {
				t.Fatalf("CheckPrograms(%q) = %v, want error %v wrapping notInstalled", tc.paths, err, tc.wantErr)
			}
		})
	}
}
