package testutil

import (
	"os"
	"testing"
)

// Chdir changes the working directory for the rest of the test and changes
// it back when the test ends. It stands in for testing.T.Chdir, which needs
// Go 1.24 (the module's go line is 1.23). The working directory belongs to
// the whole process, so a test using it must not call t.Parallel.
func Chdir(t testing.TB, dir string) {
	t.Helper()
	old, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.Chdir(old); err != nil {
			t.Errorf("restore working directory %s: %v", old, err)
		}
	})
}
