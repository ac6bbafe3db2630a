package depcheck

import (
	"strings"
	"testing"
)

// parsedAsWanted checks a parse's error against its test case: with wantErr
// set, err must contain it, and false says the case ends there; without,
// err must be nil.
func parsedAsWanted(t *testing.T, err error, wantErr string) bool {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("err = %v, want one containing %q", err, wantErr)
		}
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

// checkModules asserts that info has every module of want (path ->
// Effective()) with that value and, when exact, no other.
func checkModules(t *testing.T, info *Info, want map[string]string, exact bool) {
	t.Helper()
	if exact && len(info.Modules) != len(want) {
		t.Errorf("%d modules %v, want %d", len(info.Modules), info.ModulePaths(), len(want))
	}
	for path, w := range want {
		m, ok := info.Modules[path]
		if !ok {
			t.Errorf("module %s missing", path)
			continue
		}
		if got := m.Effective(); got != w {
			t.Errorf("%s = %q, want %q", path, got, w)
		}
	}
}
