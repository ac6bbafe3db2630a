package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/TykTechnologies/tyk/log"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost/plugintest"
)

func TestMain(m *testing.M) {
	log.Get().SetOutput(io.Discard)
	os.Exit(m.Run())
}

func TestReadAPIs(t *testing.T) {
	apis, err := readAPIs([]string{"testdata/classic-ldap.json", "testdata/oas-ldap.json", "testdata/token-api.json"}, "/new/auth.so")
	if err != nil {
		t.Fatal(err)
	}
	if len(apis.Classic) != 2 || len(apis.OAS) != 1 {
		t.Fatalf("read %d classic and %d OAS APIs, want 2 and 1", len(apis.Classic), len(apis.OAS))
	}
	if got := apis.Classic[0].CustomMiddleware.AuthCheck.Path; got != "/new/auth.so" {
		t.Fatalf("classic plugin path %q, want the -plugin override", got)
	}
	if got := apis.Classic[1].CustomMiddleware.AuthCheck.Path; got != "" {
		t.Fatalf("token API got a plugin path %q", got)
	}
	if got := apis.OAS[0].GetTykExtension().Server.Authentication.Custom.Config.Path; got != "/new/auth.so" {
		t.Fatalf("OAS plugin path %q, want the -plugin override", got)
	}

	bad := filepath.Join(t.TempDir(), "bad.json")
	for _, content := range []string{"{not json", `{"api_id":"a"} {"api_id":"b"}`} {
		if err := os.WriteFile(bad, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := readAPIs([]string{bad}, ""); err == nil {
			t.Fatalf("%q must be rejected", content)
		}
	}
	if _, err := readAPIs([]string{"testdata/nope.json"}, ""); err == nil {
		t.Fatal("a missing file must be an error")
	}
}

func TestReadPolicies(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string { return testutil.WriteFile(t, dir, name, content) }
	tests := []struct {
		name    string
		files   []string
		wantIDs []string
		wantErr bool
	}{
		{name: "id->policy map takes ids from keys", files: []string{"testdata/policies.json"}, wantIDs: []string{"ldap-users"}},
		{name: "single policy file", files: []string{"testdata/policy-single.json"}, wantIDs: []string{"single"}},
		{name: "list", files: []string{write("list.json", `[{"id":"l1","org_id":"o"},{"id":"l2","org_id":"o"}]`)}, wantIDs: []string{"l1", "l2"}},
		{name: "list entry without id", files: []string{write("noid.json", `[{"org_id":"o"}]`)}, wantErr: true},
		{name: "broken", files: []string{write("broken.json", `{"x":`)}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pols, err := readPolicies(tc.files)
			if tc.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(pols) != len(tc.wantIDs) {
				t.Fatalf("policies %+v, want ids %v", pols, tc.wantIDs)
			}
			for i, id := range tc.wantIDs {
				if pols[i].ID != id {
					t.Fatalf("policy %d id %q, want %q", i, pols[i].ID, id)
				}
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "ok", args: []string{"-api", "a.json", "-panic-mode", "5.12+", "-hash-keys",
			"-global-session-lifetime", "300", "-force-global-session-lifetime", "-session-lifetime-respects-key-expiration"}},
		{name: "no api", args: nil, wantErr: "at least one -api"},
		{name: "bad panic mode", args: []string{"-api", "a.json", "-panic-mode", "6"}, wantErr: "unknown -panic-mode"},
		{name: "unknown flag", args: []string{"-nope"}, wantErr: "not defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseFlags(tc.args, io.Discard)
			if tc.wantErr == "" {
				if err != nil || cfg.opts.PanicMode != tykhost.PanicDropConnection || !cfg.opts.HashKeys ||
					cfg.opts.GlobalSessionLifetime != 300 || !cfg.opts.ForceGlobalSessionLifetime || !cfg.opts.SessionLifetimeRespectsKeyExpiration {
					t.Fatalf("parseFlags = %+v, %v", cfg, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// TestServer runs the command's handler with the contract host's test
// plugin standing in for the real one.
func TestServer(t *testing.T) {
	so := plugintest.BuildPlugin(t, "../../testdata/testplugin")
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "upstream "+r.URL.Path)
	}))
	defer up.Close()
	dir := t.TempDir()
	api := filepath.Join(dir, "api.json")
	b, err := os.ReadFile("testdata/classic-ldap.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(api, []byte(strings.Replace(string(b), "http://127.0.0.1:8000/", up.URL+"/", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := parseFlags([]string{"-api", api, "-policy", "testdata/policies.json", "-plugin", so, "-secret", "s3cret"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cfg: cfg, host: tykhost.New(cfg.opts)}
	if err := s.load(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.handler())
	defer srv.Close()

	get := func(path string, headers map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get("/hello", nil); code != 200 || !strings.Contains(body, "pass") {
		t.Fatalf("/hello: %d %q", code, body)
	}
	if code, body := get("/ldap/x", map[string]string{"X-Test-User": "alice", "X-Test-Policies": "ldap-users"}); code != 200 || body != "upstream /x" {
		t.Fatalf("through the plugin: %d %q", code, body)
	}
	if code, _ := get("/tyk/reload", nil); code != http.StatusForbidden {
		t.Fatalf("reload without the secret: %d", code)
	}
	if code, body := get("/tyk/reload", map[string]string{"x-tyk-authorization": "s3cret"}); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Fatalf("reload: %d %q", code, body)
	}
	if code, _ := get("/ldap/x", map[string]string{"X-Test-Mode": "deny"}); code != 401 {
		t.Fatalf("after reload got %d", code)
	}
}

func TestRunStopsOnSignal(t *testing.T) {
	stop := make(chan os.Signal, 1)
	done := make(chan error, 1)
	go func() {
		done <- run([]string{"-listen", "127.0.0.1:0", "-api", "testdata/token-api.json", "-log-level", "error"}, io.Discard, stop)
	}()
	time.Sleep(100 * time.Millisecond)
	stop <- syscall.SIGTERM
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop")
	}
	if err := run([]string{"-api", "testdata/nope.json"}, io.Discard, stop); err == nil {
		t.Fatal("a missing API file must stop run")
	}
}
