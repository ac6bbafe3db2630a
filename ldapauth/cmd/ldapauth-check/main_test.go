package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/check"
)

// binDir holds the command built once for all tests of this package.
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// commandBinary builds ldapauth-check with go build, as an operator would,
// so the tests run the real program.
func commandBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "ldapauth-check-test-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "ldapauth-check")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

type result struct {
	exit           int
	stdout, stderr string
}

func runCommand(t *testing.T, bin string, stdin string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		res.exit = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v", bin, err)
	}
	return res
}

func writeJSON(t *testing.T, dir, name string, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCommand(t *testing.T) {
	bin := commandBinary(t)
	srv := slapdtest.StartT(t)
	alice, _ := slapdtest.SampleUserByKey("ALICE")
	dave, _ := slapdtest.SampleUserByKey("DAVE")
	dir := t.TempDir()
	good := writeJSON(t, dir, "good.json", map[string]any{
		"urls": []string{srv.LDAPSURL()}, "tls_ca_file": srv.CAFile(),
		"search_base_dn": slapdtest.PeopleDN, "bind_dn": slapdtest.ServiceAccountDN, "bind_password": "env://CHECK_CLI_BIND_PW",
		"group_base_dn": slapdtest.GroupsDN, "required_groups": []string{"developers"},
	})
	broken := writeJSON(t, dir, "broken.json", map[string]any{"urls": []string{srv.URL()}, "search_base_dn": slapdtest.PeopleDN, "cache_tll": "1m"})
	syntax := filepath.Join(dir, "syntax.json")
	if err := os.WriteFile(syntax, []byte("{\n  \"urls\": [\"ldap://127.0.0.1:389\"]\n  \"search_base_dn\": \"dc=example,dc=org\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	down := writeJSON(t, dir, "down.json", map[string]any{"urls": []string{slapdtest.ClosedPortURL(t)}, "search_base_dn": slapdtest.PeopleDN})
	bindEnv := "CHECK_CLI_BIND_PW=" + slapdtest.ServiceAccountPassword
	const wrong = "wrong-cli-pass-88"

	tests := []struct {
		name     string
		args     []string
		stdin    string
		env      []string
		wantExit int
		wantOut  []string // substrings of stdout
		wantErr  string   // substring of stderr
		jsonOut  func(t *testing.T, r *check.Report)
		password string // must appear nowhere
	}{
		{
			name: "granted, password on stdin", args: []string{good, "alice"}, stdin: alice.Password + "\n", env: []string{bindEnv},
			wantExit: 0, password: alice.Password,
			wantOut: []string{"ok    tls", "ok    user bind", "identity     username alice, DN " + alice.DN, "access       allowed: alice is a member of developers",
				"verdict      200 OK (granted)"},
		},
		{
			name: "JSON after the positional arguments", args: []string{good, "alice", "--json"}, stdin: alice.Password, env: []string{bindEnv},
			wantExit: 0, password: alice.Password,
			jsonOut: func(t *testing.T, r *check.Report) {
				if r.Schema != check.SchemaVersion || r.Verdict.Status != 200 || r.Verdict.Outcome != "granted" || r.Identity == nil || r.Identity.Username != "alice" {
					t.Errorf("report %+v", r)
				}
				var names []string
				for _, s := range r.Steps {
					names = append(names, s.Name)
					if s.TookMS < 0 || !s.OK {
						t.Errorf("step %+v", s)
					}
				}
				for _, want := range []string{"definition", "config", "connect", "tls", "service bind", "search", "user bind", "group search", "groups", "decision"} {
					if !slices.Contains(names, want) {
						t.Errorf("steps %q lack %q", names, want)
					}
				}
				if r.Session == nil || !strings.HasPrefix(r.Session.KeyID, "ldap-") {
					t.Errorf("session %+v", r.Session)
				}
			},
		},
		{
			name: "password from -password-env, with a colon and a space", args: []string{"-password-env", "CHECK_CLI_USER_PW", good, "dave", "-json"},
			env: []string{bindEnv, "CHECK_CLI_USER_PW=" + dave.Password}, wantExit: 1, password: dave.Password,
			jsonOut: func(t *testing.T, r *check.Report) {
				// dave is in no group: the password was right, the rules refuse.
				if r.Verdict.Status != 403 || r.Identity == nil || r.Identity.Username != "dave" {
					t.Errorf("verdict %+v identity %+v", r.Verdict, r.Identity)
				}
			},
		},
		{
			name: "wrong password", args: []string{good, "alice", "-json"}, stdin: wrong + "\r\n", env: []string{bindEnv},
			wantExit: 1, password: wrong,
			jsonOut: func(t *testing.T, r *check.Report) {
				if r.Verdict.Status != 401 || r.Verdict.Step != "user bind" || !strings.Contains(r.Verdict.Advice, "wrong password for alice") {
					t.Errorf("verdict %+v", r.Verdict)
				}
			},
		},
		{
			name: "invalid configuration", args: []string{broken, "alice"}, stdin: alice.Password, wantExit: 2, password: alice.Password,
			wantOut: []string{`config_data key "cache_tll": unknown key (did you mean "cache_ttl"?)`, "verdict      500 Internal Server Error (misconfigured)"},
		},
		{
			name: "directory down", args: []string{down, "alice", "-json"}, stdin: alice.Password, wantExit: 3, password: alice.Password,
			jsonOut: func(t *testing.T, r *check.Report) {
				if r.Verdict.Status != 503 || r.Verdict.Step != "connect" {
					t.Errorf("verdict %+v", r.Verdict)
				}
			},
		},
		{
			name: "-url and -ca-file override the file", args: []string{down, "alice", "-url", srv.LDAPSURL(), "-ca-file", srv.CAFile()},
			stdin: alice.Password, wantExit: 3, password: alice.Password,
			// down.json has no bind_dn: slapd refuses anonymous searches.
			wantOut: []string{"urls replaced from the command line", "tls_ca_file replaced from the command line", "refused an anonymous search"},
		},
		{
			// No password on stdin: the configuration is refused before the
			// command asks for one.
			name: "invalid configuration before the password", args: []string{broken, "alice"}, wantExit: 2,
			wantOut: []string{`config_data key "cache_tll": unknown key`},
		},
		{
			name: "JSON syntax error with line and column", args: []string{syntax, "alice"}, wantExit: 2,
			wantOut: []string{"line 3, column 3", "invalid character"},
		},
		{name: "-version", args: []string{"-version"}, wantExit: 0, wantOut: []string{"tyk-ldap-auth dev (go"}},
		{name: "missing username", args: []string{good}, wantExit: 2, wantErr: "expected FILE and USERNAME, got 1 argument(s)"},
		{name: "unreadable file", args: []string{filepath.Join(dir, "nope.json"), "alice"}, wantExit: 2, wantErr: "no such file"},
		{name: "no password on stdin", args: []string{good, "alice"}, env: []string{bindEnv}, wantExit: 2, wantErr: "no password on standard input"},
		{name: "-password-env unset", args: []string{"-password-env", "CHECK_CLI_UNSET_VAR", good, "alice"}, env: []string{bindEnv}, wantExit: 2, wantErr: "CHECK_CLI_UNSET_VAR is not set"},
		{name: "unknown flag", args: []string{good, "alice", "-verbose"}, wantExit: 2, wantErr: "flag provided but not defined: -verbose"},
		{name: "help", args: []string{"-h"}, wantExit: 0, wantErr: "Exit status: 0 the user would be let in"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := runCommand(t, bin, tc.stdin, tc.env, tc.args...)
			if res.exit != tc.wantExit {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", res.exit, tc.wantExit, res.stdout, res.stderr)
			}
			for _, want := range tc.wantOut {
				if !strings.Contains(res.stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, res.stdout)
				}
			}
			if !strings.Contains(res.stderr, tc.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantErr, res.stderr)
			}
			if tc.jsonOut != nil {
				var r check.Report
				if err := json.Unmarshal([]byte(res.stdout), &r); err != nil {
					t.Fatalf("stdout is not a JSON report: %v\n%s", err, res.stdout)
				}
				tc.jsonOut(t, &r)
			}
			all := res.stdout + res.stderr
			for _, secret := range []string{tc.password, slapdtest.ServiceAccountPassword} {
				if secret != "" && strings.Contains(all, secret) {
					t.Errorf("the output contains the secret %q", secret)
				}
			}
			if tc.password != "" && strings.Contains(all, base64.StdEncoding.EncodeToString([]byte(tc.args[1]+":"+tc.password))) {
				t.Errorf("the output contains the Authorization header's value")
			}
		})
	}
}

// TestBuildShCheck runs the front door: ./build.sh check FILE USERNAME
// [flags] builds the command and passes its exit status through.
func TestBuildShCheck(t *testing.T) {
	root, err := slapdtest.FindModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	srv := slapdtest.StartT(t)
	alice, _ := slapdtest.SampleUserByKey("ALICE")
	env := append(os.Environ(), "LDAP_BIND_PASSWORD="+slapdtest.ServiceAccountPassword)
	example := filepath.Join(root, "testdata", "apis", "classic", "ldap-search-bind.json")
	for _, tc := range []struct {
		password string
		wantExit int
		want     int
	}{
		{alice.Password, 0, 200},
		{"wrong-buildsh-pass-1", 1, 401},
	} {
		cmd := exec.Command("bash", filepath.Join(root, "build.sh"), "check", example, "alice", "-url", srv.URL(), "--json")
		cmd.Env = env
		cmd.Stdin = strings.NewReader(tc.password + "\n")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		exit := 0
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			exit = exitErr.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		var r check.Report
		if jerr := json.Unmarshal(stdout.Bytes(), &r); jerr != nil || exit != tc.wantExit || r.Verdict.Status != tc.want {
			t.Errorf("build.sh check: exit %d (want %d), status %d (want %d), %v\nstdout:\n%s\nstderr:\n%s",
				exit, tc.wantExit, r.Verdict.Status, tc.want, jerr, stdout.String(), stderr.String())
		}
		if strings.Contains(stdout.String()+stderr.String(), tc.password) {
			t.Errorf("build.sh check printed the password")
		}
	}
}
