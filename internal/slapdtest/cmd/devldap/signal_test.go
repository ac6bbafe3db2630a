package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
)

// TestSignalsCleanUp runs the real command and stops it the ways a session
// ends: Ctrl-C, a service manager's SIGTERM, and a dropped SSH session's
// SIGHUP. Each time it must exit 0 and leave neither its info file nor its
// data directory (which holds the directory's keys) behind.
func TestSignalsCleanUp(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "devldap")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			info := filepath.Join(t.TempDir(), "ldap.env")
			cmd := exec.Command(bin, "-info", info, "-stats=false")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			deadline := time.Now().Add(30 * time.Second)
			for {
				if _, err := os.Stat(info); err == nil {
					break
				}
				select {
				case err := <-exited:
					t.Fatalf("devldap exited before it was ready: %v\n%s", err, stderr.String())
				case <-time.After(50 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					_ = cmd.Process.Kill()
					t.Fatalf("no info file after 30s:\n%s", stderr.String())
				}
			}
			env := testutil.ShellEnv(t, info, "LDAP")
			if env["LDAP_DIR"] == "" {
				t.Fatalf("the info file names no LDAP_DIR")
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("exit after %v: %v\n%s", sig, err, stderr.String())
				}
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("still running 30s after %v", sig)
			}
			for _, p := range []string{info, env["LDAP_DIR"]} {
				if _, err := os.Stat(p); !os.IsNotExist(err) {
					t.Errorf("%v left %s behind", sig, p)
				}
			}
		})
	}
}
