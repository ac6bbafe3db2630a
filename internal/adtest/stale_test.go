package adtest

import (
	"fmt"
	"os"
	"testing"
)

// Directories of dead owners (and unowned ones) are removed; a live
// owner's directory is kept.
func TestReclaimStaleDirs(t *testing.T) {
	state := t.TempDir()
	dead := exec0(t)
	live := os.Getppid() // the go test runner (or a shell): alive for the whole test
	tests := []struct {
		name  string
		owner string
		kept  bool
	}{
		{"dc-dead", fmt.Sprint(dead), false},
		{"dc-live", fmt.Sprint(live), true},
		{"dc-unowned", "", false},
		{"dc-garbage", "not a pid", false},
		{"dc-self", fmt.Sprint(os.Getpid()), true}, // e.g. an earlier DC's KeepDir
	}
	for _, tc := range tests {
		d := state + "/" + tc.name
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if tc.owner != "" {
			if err := os.WriteFile(d+"/"+ownerFile, []byte(tc.owner), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	other := state + "/template-keep"
	if err := os.Mkdir(other, 0o700); err != nil {
		t.Fatal(err)
	}
	reclaimStaleDirs(state)
	for _, tc := range tests {
		_, err := os.Stat(state + "/" + tc.name)
		if kept := err == nil; kept != tc.kept {
			t.Errorf("%s: kept=%v, want %v", tc.name, kept, tc.kept)
		}
	}
	if _, err := os.Stat(other); err != nil {
		t.Fatalf("a non-DC directory was removed: %v", err)
	}
}

// exec0 runs a process that exits at once and returns its (now unused) pid.
func exec0(t *testing.T) int {
	t.Helper()
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	return p.Pid
}
