package bundle

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestHookPath(t *testing.T) {
	tests := []struct {
		file, want, wantErr string
	}{
		{file: "ldapauth_v5.8.12_linux_amd64.so", want: "ldapauth.so"},
		{file: "ldapauth_5.8.12_linux_arm64.so", want: "ldapauth.so"},
		{file: "ldapauth-42_v5.8.12_linux_amd64.so", want: "ldapauth-42.so"},
		{file: "ldap_auth_v5.14.0_linux_amd64.so", want: "ldap_auth.so"},
		{file: "ldapauth.so", want: "ldapauth.so"},
		{file: "ldapauth_v5.8_linux_amd64.so", want: "ldapauth_v5.8_linux_amd64.so"}, // not a gateway version: used as is
		{file: "/opt/tyk-gateway/middleware/ldapauth.so", wantErr: "plain file name"},
		{file: "../ldapauth.so", wantErr: "plain file name"},
		{file: ".so", wantErr: "not a plugin file name"},
		{file: "ldapauth.zip", wantErr: "does not end in .so"},
		{file: "", wantErr: "empty"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got, err := HookPath(tc.file)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("HookPath(%q) = %q, %v; want %q", tc.file, got, err, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	good := Manifest{
		FileList:         []string{"ldapauth_v5.8.12_linux_amd64.so", "ldapauth_v5.8.12_linux_arm64.so"},
		CustomMiddleware: Middleware{Driver: "goplugin", AuthCheck: Hook{Name: "LDAPAuth", Path: "ldapauth.so"}},
	}
	tests := []struct {
		name    string
		change  func(m *Manifest)
		wantErr string
	}{
		{name: "good, two architectures", change: func(*Manifest) {}},
		{name: "exact file name", change: func(m *Manifest) { m.FileList = []string{"ldapauth.so"} }},
		{name: "python driver", change: func(m *Manifest) { m.CustomMiddleware.Driver = "python" }, wantErr: `driver is "python"`},
		{name: "no driver", change: func(m *Manifest) { m.CustomMiddleware.Driver = "" }, wantErr: "driver"},
		{name: "unexported symbol", change: func(m *Manifest) { m.CustomMiddleware.AuthCheck.Name = "ldapAuth" }, wantErr: "not an exported"},
		{name: "symbol with a dot", change: func(m *Manifest) { m.CustomMiddleware.AuthCheck.Name = "main.LDAPAuth" }, wantErr: "not an exported"},
		{name: "no symbol", change: func(m *Manifest) { m.CustomMiddleware.AuthCheck.Name = "" }, wantErr: "not an exported"},
		{name: "absolute hook path", change: func(m *Manifest) { m.CustomMiddleware.AuthCheck.Path = "/opt/tyk-gateway/middleware/ldapauth.so" }, wantErr: "auth_check.path"},
		{name: "hook path names another plugin", change: func(m *Manifest) { m.CustomMiddleware.AuthCheck.Path = "other.so" }, wantErr: "resolves to none"},
		{name: "empty file list", change: func(m *Manifest) { m.FileList = nil }, wantErr: "file_list is empty"},
		{name: "file in a subdirectory", change: func(m *Manifest) { m.FileList = []string{"lib/ldapauth_v5.8.12_linux_amd64.so"} }, wantErr: "file_list"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := good
			m.FileList = append([]string(nil), good.FileList...)
			tc.change(&m)
			err := m.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Validate() = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestWriteAndRead(t *testing.T) {
	const so = "ldapauth_v5.8.12_linux_amd64.so"
	dir := t.TempDir()
	m, err := New(so, "LDAPAuth")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(dir, m); err == nil || !strings.Contains(err.Error(), "file_list") {
		t.Fatalf("Write without the .so in place = %v, want a file_list error", err)
	}
	if err := os.WriteFile(filepath.Join(dir, so), []byte("elf"), 0o644); err != nil {
		t.Fatal(err)
	}
	path, err := Write(dir, m)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, "manifest.json") {
		t.Errorf("path = %q", path)
	}

	// The file must be exactly the gateway's manifest format.
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"file_list": []any{so},
		"custom_middleware": map[string]any{
			"driver":     "goplugin",
			"auth_check": map[string]any{"name": "LDAPAuth", "path": "ldapauth.so"},
		},
		"checksum":  "",
		"signature": "",
	}
	if !reflect.DeepEqual(generic, want) {
		t.Errorf("manifest.json = %s\nwant %v", raw, want)
	}

	back, err := Read(path)
	if err != nil || !reflect.DeepEqual(back, m) {
		t.Errorf("Read = %+v, %v; want %+v", back, err, m)
	}
	if _, err := Read(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("Read of a missing file succeeded")
	}
}
