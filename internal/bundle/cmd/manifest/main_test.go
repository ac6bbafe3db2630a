package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/bundle"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	so := filepath.Join(dir, "ldapauth_v5.8.12_linux_amd64.so")
	if err := os.WriteFile(so, []byte("elf"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{name: "writes next to the .so", args: []string{"-so", so}, wantCode: 0, wantOut: "auth_check LDAPAuth in ldapauth.so"},
		{name: "missing .so", args: []string{"-so", filepath.Join(dir, "ldapauth_v5.8.12_linux_arm64.so")}, wantCode: 2},
		{name: "bad symbol", args: []string{"-so", so, "-symbol", "ldapAuth"}, wantCode: 2},
		{name: "no -so", args: nil, wantCode: 2},
		{name: "stray argument", args: []string{"-so", so, "extra"}, wantCode: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(tc.args, &out, &errOut); code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.wantCode, errOut.String())
			}
			if !strings.Contains(out.String(), tc.wantOut) {
				t.Errorf("stdout %q lacks %q", out.String(), tc.wantOut)
			}
		})
	}
	m, err := bundle.Read(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if m.FileList[0] != filepath.Base(so) || m.CustomMiddleware.AuthCheck.Path != "ldapauth.so" {
		t.Errorf("manifest = %+v", m)
	}
}
