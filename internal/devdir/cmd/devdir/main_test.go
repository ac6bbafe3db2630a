package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
)

func noEnv(string) string { return "" }

// TestRunServesUntilCancelled: the info file describes a working UI and
// directory, the API files are written, and cancelling (what SIGINT and
// SIGTERM do) stops everything and removes what it made.
func TestRunServesUntilCancelled(t *testing.T) {
	tmp := t.TempDir()
	info := filepath.Join(tmp, "ldap.env")
	apiDir := filepath.Join(tmp, "apis")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	args := []string{"-info", info, "-gateway-apis", apiDir, "-upstream", "http://127.0.0.1:9/"}
	r := testutil.StartRun(func(stdout, stderr io.Writer) int { return run(ctx, args, noEnv, stdout, stderr) })
	r.WaitForFile(t, info, 30*time.Second)
	// Sourced with sh, the way the demo script does.
	env := testutil.ShellEnv(t, info, "LDAP")
	for _, k := range []string{"LDAP_UI_URL", "LDAP_UI_LOGIN_DN", "LDAP_ROOT_PASSWORD", "LDAPS_URL", "LDAP_CA_FILE", "LDAP_USER_ALICE_PASSWORD"} {
		if env[k] == "" {
			t.Errorf("the info file has no %s", k)
		}
	}
	if env["LDAP_TUTORIAL"] != "1" || env["LDAP_USER_TEST_UID"] != "" {
		t.Errorf("the default is not the tutorial directory: LDAP_TUTORIAL=%q, LDAP_USER_TEST_UID=%q", env["LDAP_TUTORIAL"], env["LDAP_USER_TEST_UID"])
	}
	resp, err := http.Get(env["LDAP_UI_URL"])
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "phpLDAPadmin") {
		t.Fatalf("GET %s: %s %.300q", env["LDAP_UI_URL"], resp.Status, page)
	}
	for _, s := range []string{env["LDAP_UI_URL"], env["LDAP_ROOT_PASSWORD"], "alice / alice-pass-1"} {
		if !strings.Contains(r.Stdout.String(), s) {
			t.Errorf("stdout lacks %q:\n%s", s, r.Stdout.String())
		}
	}
	files, _ := filepath.Glob(filepath.Join(apiDir, "*.json"))
	if len(files) != 2 {
		t.Fatalf("API files %v, want 2", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var def map[string]any
		if err := json.Unmarshal(b, &def); err != nil || !strings.Contains(string(b), env["LDAP_STARTTLS_URL"]) {
			t.Fatalf("%s: %v, or not for this directory:\n%s", f, err, b)
		}
	}

	cancel()
	if c := r.Exit(t, 30*time.Second); c != 0 {
		t.Fatalf("exit code %d: %s", c, r.Stderr.String())
	}
	for _, p := range []string{info, env["LDAP_DIR"], filepath.Dir(env["LDAP_UI_LOG_FILE"])} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s left behind", p)
		}
	}
	if resp, err := http.Get(env["LDAP_UI_URL"]); err == nil {
		resp.Body.Close()
		t.Errorf("the UI still answers after the stop")
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantPort int
		wantErr  string
	}{
		{"defaults", nil, nil, 0, ""},
		{"DEVDIR_PORT", nil, map[string]string{"DEVDIR_PORT": "18099"}, 18099, ""},
		{"-port wins over DEVDIR_PORT", []string{"-port", "18100"}, map[string]string{"DEVDIR_PORT": "18099"}, 18100, ""},
		{"DEVDIR_PORT not a number", nil, map[string]string{"DEVDIR_PORT": "eighty"}, 0, "DEVDIR_PORT"},
		{"port out of range", []string{"-port", "70000"}, nil, 0, "not a port"},
		{"APIs without an upstream", []string{"-gateway-apis", "/tmp/x"}, nil, 0, "go together"},
		{"stray argument", []string{"extra"}, nil, 0, "unexpected"},
		{"unknown flag", []string{"-nope"}, nil, 0, "not defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			c, err := parseFlags(tc.args, func(k string) string { return tc.env[k] }, &stderr)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error()+stderr.String(), tc.wantErr) {
					t.Fatalf("err = %v (stderr %q), want %q", err, stderr.String(), tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.opts.Port != tc.wantPort || !c.opts.Tutorial {
				t.Fatalf("port %d tutorial %v, want %d true", c.opts.Port, c.opts.Tutorial, tc.wantPort)
			}
		})
	}
}

func TestRunRejectsBadArgs(t *testing.T) {
	var out, errb bytes.Buffer
	if c := run(context.Background(), []string{"-port", "x"}, noEnv, &out, &errb); c != 2 {
		t.Fatalf("run = %d, want 2 (stderr %q)", c, errb.String())
	}
}
