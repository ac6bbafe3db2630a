package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
)

func TestRunServesUntilCancelled(t *testing.T) {
	info := filepath.Join(t.TempDir(), "ldap.env")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := testutil.StartRun(func(stdout, stderr io.Writer) int { return run(ctx, []string{"-info", info}, stdout, stderr) })
	r.WaitForFile(t, info, 15*time.Second)
	// Sourced with sh, the way a script would.
	env := testutil.ShellEnv(t, info, "LDAP")
	if !strings.Contains(r.Stdout.String(), "LDAP_URL=") {
		t.Fatalf("stdout lacks the info lines: %q", r.Stdout.String())
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
	if c := r.Exit(t, 15*time.Second); c != 0 {
		t.Fatalf("exit code %d: %s", c, r.Stderr.String())
	}
	for _, p := range []string{info, env["LDAP_DIR"]} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s left behind", p)
		}
	}
}

func TestRunRejectsBadArgs(t *testing.T) {
	var out, errb bytes.Buffer
	for _, args := range [][]string{{"-nope"}, {"extra"}} {
		if c := run(context.Background(), args, &out, &errb); c != 2 {
			t.Errorf("run(%q) = %d, want 2", args, c)
		}
	}
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
	testutil.Chdir(t, t.TempDir())
	var out, errb bytes.Buffer
	if c := run(context.Background(), nil, &out, &errb); c != 1 || !strings.Contains(errb.String(), "-data DIR") {
		t.Fatalf("run = %d, stderr %q; want 1 and a hint about -data", c, errb.String())
	}
}
