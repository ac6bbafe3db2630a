package testutil

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name     string
		writes   bool // the command writes the file
		code     int
		timeout  time.Duration
		wantFail string // "" = WaitForFile succeeds
	}{
		{"writes the file, then exits 0 on request", true, 0, 10 * time.Second, ""},
		{"exits before writing", false, 3, 10 * time.Second, "run returned 3 before writing"},
		{"never writes", false, 0, 50 * time.Millisecond, "gave up after 50ms"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ready")
			release := make(chan struct{})
			r := StartRun(func(stdout, stderr io.Writer) int {
				fmt.Fprintln(stdout, "out")
				fmt.Fprintln(stderr, "err")
				if tc.writes {
					if err := os.WriteFile(path, nil, 0o600); err != nil {
						return 1
					}
				}
				if tc.code != 0 {
					return tc.code
				}
				<-release
				return 0
			})
			msg, failed := CatchFatal(t, func(tb testing.TB) { r.WaitForFile(tb, path, tc.timeout) })
			if failed != (tc.wantFail != "") || !strings.Contains(msg, tc.wantFail) {
				t.Fatalf("WaitForFile failed %v with %q, want a failure with %q", failed, msg, tc.wantFail)
			}
			if failed && !strings.Contains(msg, "stderr: err") {
				t.Errorf("the failure %q does not show the command's stderr", msg)
			}
			close(release)
			if code := r.Exit(t, 10*time.Second); code != tc.code {
				t.Fatalf("Exit = %d, want %d", code, tc.code)
			}
			if r.Stdout.String() != "out\n" {
				t.Fatalf("stdout %q", r.Stdout.String())
			}
		})
	}
	t.Run("Exit gives up", func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		r := StartRun(func(io.Writer, io.Writer) int { <-release; return 0 })
		if msg, failed := CatchFatal(t, func(tb testing.TB) { r.Exit(tb, 20*time.Millisecond) }); !failed || !strings.Contains(msg, "did not return within 20ms") {
			t.Fatalf("Exit of a command that never returns: %q, %v", msg, failed)
		}
	})
}
