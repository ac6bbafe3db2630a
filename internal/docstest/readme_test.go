package docstest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testpki"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/check"
)

// block is one fenced code block of a Markdown file.
type block struct {
	lang   string
	line   int    // line of the opening fence
	marker string // the readme-test comment before it, without the frame
	text   string
}

var markerRE = regexp.MustCompile(`^<!-- readme-test: (.*) -->$`)

func blocks(t *testing.T, file string) []block {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []block
	var cur *block
	prev := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &block{lang: strings.TrimSpace(strings.TrimPrefix(line, "```")), line: n}
			if m := markerRE.FindStringSubmatch(strings.TrimSpace(prev)); m != nil {
				cur.marker = m[1]
			}
		case cur != nil && strings.TrimSpace(line) == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		}
		prev = line
	}
	if cur != nil {
		t.Fatalf("%s: the block opened on line %d is not closed", file, cur.line)
	}
	return out
}

func repoRoot(t *testing.T) string {
	t.Helper()
	// The module root, found from the package directory the test runs in
	// (runtime.Caller paths are module-relative under -trimpath).
	dir, err := slapdtest.FindModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// options parses "ldap: ...; stdin: TEXT" into its parts.
func options(marker string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(marker, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), ":")
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out
}

// TestReadmeShellBlocks runs every shell block of the README that is not
// marked skip, and requires a reason on every skipped one.
func TestReadmeShellBlocks(t *testing.T) {
	root := repoRoot(t)
	var ran int
	for _, b := range blocks(t, filepath.Join(root, "README.md")) {
		if b.lang != "sh" && b.lang != "bash" && b.lang != "shell" {
			continue
		}
		opts := options(b.marker)
		if reason, skip := opts["skip"]; skip {
			if reason == "" {
				t.Errorf("README.md:%d: a skipped block must say why (readme-test: skip: REASON)", b.line)
			}
			continue
		}
		ran++
		t.Run("line"+itoa(b.line), func(t *testing.T) {
			cmd := exec.Command("bash", "-euo", "pipefail", "-c", b.text)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "GOWORK=", "GOFLAGS=")
			if _, ok := opts["ldap"]; ok {
				srv := slapdtest.StartT(t)
				cmd.Env = append(cmd.Env, "LDAP_URL="+srv.URL(), "LDAPS_URL="+srv.LDAPSURL(), "LDAP_CA_FILE="+srv.CAFile())
			}
			cmd.Stdin = strings.NewReader(opts["stdin"] + "\n")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("README.md:%d failed (%v):\n%s\noutput:\n%s", b.line, err, b.text, out)
			}
		})
	}
	if ran == 0 {
		t.Fatal("no shell block of README.md is run")
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestReadmeMainCommands: the first block starts with the main job and the
// test command, and that test command is what CI runs.
func TestReadmeMainCommands(t *testing.T) {
	root := repoRoot(t)
	bs := blocks(t, filepath.Join(root, "README.md"))
	if len(bs) == 0 {
		t.Fatal("README.md has no code block")
	}
	var cmds []string
	for _, l := range strings.Split(bs[0].text, "\n") {
		if c, _, _ := strings.Cut(l, "#"); strings.TrimSpace(c) != "" {
			cmds = append(cmds, strings.Join(strings.Fields(c), " "))
		}
	}
	if len(cmds) < 2 || cmds[0] != "./build.sh" || cmds[1] != "./build.sh test" {
		t.Fatalf("README.md's first commands are %q, want ./build.sh and ./build.sh test", cmds)
	}
	ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(ci)), "\n")
	if last := strings.TrimSpace(lines[len(lines)-1]); last != "exec ./build.sh test" {
		t.Fatalf(".ci/run ends with %q, not the README's test command", last)
	}
}

// TestReadmeDefinitions reads every JSON block of the README as the gateway
// and the plugin would: API definitions through the check command's reader
// and the plugin's configuration parser (secrets from the environment, the
// CA file replaced by a real one), policies as JSON objects.
func TestReadmeDefinitions(t *testing.T) {
	root := repoRoot(t)
	t.Setenv("LDAP_BIND_PASSWORD", "readme-bind-password")
	t.Setenv("LDAP_SESSION_KEY", "readme-session-key-0123456789")
	ca, err := testpki.NewCA("docstest CA", "tyk-ldap-auth tests")
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	var apis int
	for _, b := range blocks(t, filepath.Join(root, "README.md")) {
		if b.lang != "json" {
			continue
		}
		var top map[string]any
		if err := json.Unmarshal([]byte(b.text), &top); err != nil {
			t.Errorf("README.md:%d: not a JSON object: %v", b.line, err)
			continue
		}
		if _, policy := top["access_rights"]; policy {
			continue
		}
		apis++
		src, err := check.ReadSource([]byte(b.text), os.Getenv)
		if err != nil {
			t.Errorf("README.md:%d: %v", b.line, err)
			continue
		}
		if src.Kind == check.KindConfig || len(src.Warnings) > 0 || src.DisabledBy != "" || src.Unsupported != nil {
			t.Errorf("README.md:%d: not a working API definition: kind %v, warnings %q, disabled by %q, unsupported %v",
				b.line, src.Kind, src.Warnings, src.DisabledBy, src.Unsupported)
			continue
		}
		cfg := src.Config
		if _, ok := cfg["tls_ca_file"]; ok {
			cfg["tls_ca_file"] = caFile
		}
		if _, err := ldapauth.ParseConfig(cfg); err != nil {
			t.Errorf("README.md:%d: the plugin refuses this configuration: %v", b.line, err)
		}
	}
	if apis < 2 {
		t.Errorf("README.md has %d API definitions, want the classic and the Tyk OAS one", apis)
	}
}
