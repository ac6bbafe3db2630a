package testutil

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestShellEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "info.env")
	content := "# a comment\nLDAP_URL='ldap://127.0.0.1:1'\nLDAP_UID='o'\\''brien'\nLDAP_EMPTY=''\nOTHER='x'\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"LDAP_URL": "ldap://127.0.0.1:1", "LDAP_UID": "o'brien", "LDAP_EMPTY": ""}
	if got := ShellEnv(t, path, "LDAP_"); !reflect.DeepEqual(got, want) {
		t.Fatalf("ShellEnv = %v, want %v", got, want)
	}
	if _, failed := CatchFatal(t, func(tb testing.TB) { ShellEnv(tb, filepath.Join(t.TempDir(), "absent"), "LDAP_") }); !failed {
		t.Fatal("ShellEnv of a missing file did not fail the test")
	}
}
