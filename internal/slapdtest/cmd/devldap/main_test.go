package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// syncBuffer is written by run's goroutine and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunServesUntilCancelled(t *testing.T) {
	info := filepath.Join(t.TempDir(), "ldap.env")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"-info", info}, &stdout, &stderr) }()

	var env map[string]string
	deadline := time.Now().Add(15 * time.Second)
	for env == nil {
		if _, err := os.Stat(info); err == nil {
			env = parseEnv(t, info)
		} else if time.Now().After(deadline) {
			t.Fatalf("no info file; stderr: %s", stderr.String())
		}
		select {
		case c := <-code:
			t.Fatalf("run exited early with %d: %s", c, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if stdout.String() == "" || !strings.Contains(stdout.String(), "LDAP_URL=") {
		t.Fatalf("stdout lacks the info lines: %q", stdout.String())
	}
	// The printed values work: the sample user o'brien binds over ldaps
	// with the printed CA.
	if env["LDAP_USER_OBRIEN_UID"] != "o'brien" {
		t.Fatalf("quoting lost: %q", env["LDAP_USER_OBRIEN_UID"])
	}
	c, err := ldap.DialURL(env["LDAPS_URL"], ldap.DialWithTLSConfig(tlsConfig(t, env["LDAP_CA_FILE"])))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Bind(env["LDAP_USER_OBRIEN_DN"], env["LDAP_USER_OBRIEN_PASSWORD"])
	c.Close()
	if err != nil {
		t.Fatalf("bind with printed credentials: %v", err)
	}
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit code %d: %s", c, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not stop after cancel")
	}
	for _, p := range []string{info, env["LDAP_DIR"]} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s left behind", p)
		}
	}
}

func TestRunRejectsBadArgs(t *testing.T) {
	var out, errb syncBuffer
	for _, args := range [][]string{{"-nope"}, {"extra"}} {
		if c := run(context.Background(), args, &out, &errb); c != 2 {
			t.Errorf("run(%q) = %d, want 2", args, c)
		}
	}
}

// parseEnv sources the info file with sh, the way a script would, and
// returns the LDAP* variables it set.
func parseEnv(t *testing.T, path string) map[string]string {
	t.Helper()
	out, err := exec.Command("sh", "-c", `set -a; . "$1"; exec env -0`, "sh", path).Output()
	if err != nil {
		t.Fatalf("sh could not source the info file: %v", err)
	}
	env := map[string]string{}
	for _, kv := range strings.Split(string(out), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "LDAP") {
			env[k] = v
		}
	}
	return env
}

func tlsConfig(t *testing.T, caFile string) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("CA file holds no certificate")
	}
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

func TestRunOutsideRepositoryNeedsData(t *testing.T) {
	chdir(t, t.TempDir())
	var out, errb syncBuffer
	if c := run(context.Background(), nil, &out, &errb); c != 1 || !strings.Contains(errb.String(), "-data DIR") {
		t.Fatalf("run = %d, stderr %q; want 1 and a hint about -data", c, errb.String())
	}
}
