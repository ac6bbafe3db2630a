package testserver

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testproc"
)

func TestWaitReady(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		okAfter int // the check passes from this call on; 0: never
		timeout time.Duration
		wantErr string // "" = ready
	}{
		{"ready on the third check", "exec sleep 600", 3, 10 * time.Second, ""},
		{"exits during start-up", "exit 7", 0, time.Minute, "srv exited during start-up (exit status 7)"},
		{"never ready", "exec sleep 600", 0, 30 * time.Millisecond, "srv did not answer within 30ms: refused 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := testproc.Start(exec.Command("/bin/sh", "-c", tc.script))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(p.Kill)
			calls := 0
			err = WaitReady(p, tc.timeout, time.Millisecond, "srv", "answer", func() error {
				calls++
				if tc.okAfter > 0 && calls >= tc.okAfter {
					return nil
				}
				return errors.New("refused 1")
			})
			if tc.wantErr == "" {
				if err != nil || calls != tc.okAfter {
					t.Fatalf("WaitReady = %v after %d checks, want ready after %d", err, calls, tc.okAfter)
				}
				return
			}
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("WaitReady = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestTerminate(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		wantErr string
	}{
		{"obeys SIGTERM", "echo ready; exec sleep 600", ""},
		{"ignores SIGTERM", `trap "" TERM; echo ready; while :; do sleep 1; done`, "stubborn ignored SIGTERM for 100ms and was killed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := shRun(t, tc.script)(1)
			if err != nil {
				t.Fatal(err)
			}
			err = Terminate(p, 100*time.Millisecond, "stubborn")
			if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Terminate = %v, want %q", err, tc.wantErr)
			}
			if !p.Exited() {
				t.Fatal("Terminate returned while the process runs")
			}
		})
	}
}
