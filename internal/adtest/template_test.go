package adtest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
)

func TestRewriteConf(t *testing.T) {
	const from = "/state/template-k/dc"
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"paths", "\tprivate dir = /state/template-k/dc/private\n\tpid directory = /state/template-k/dc\n",
			"\tprivate dir = /new/dc-1/private\n\tpid directory = /new/dc-1\n", true},
		{"other values untouched", "\tinterfaces = lo\n\tpath = /state/template-k/dc/state/sysvol\n",
			"\tinterfaces = lo\n\tpath = /new/dc-1/state/sysvol\n", true},
		{"a longer sibling path is not a match", "\tx = /state/template-k/dc2/private\n\ty = /state/template-k/dc\n",
			"\tx = /state/template-k/dc2/private\n\ty = /new/dc-1\n", true},
		{"never mentioned", "\tinterfaces = lo\n", "", false},
		{"mentioned outside a value", "# /state/template-k/dc/ was here\n\ty = /state/template-k/dc\n", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "smb.conf")
			if err := os.WriteFile(p, []byte(tc.in), 0o644); err != nil {
				t.Fatal(err)
			}
			err := rewriteConf(p, from, "/new/dc-1")
			if (err == nil) != tc.ok {
				t.Fatalf("rewriteConf: %v, want ok=%v", err, tc.ok)
			}
			if tc.ok {
				if got := string(testutil.ReadFile(t, p)); got != tc.want {
					t.Fatalf("got\n%s\nwant\n%s", got, tc.want)
				}
			}
		})
	}
}

func TestTemplateKey(t *testing.T) {
	a, b := templateKey("Version 4.17.12-Debian"), templateKey("Version 4.17.12-Debian")
	if a != b || len(a) != 16 {
		t.Fatalf("keys %q %q: want the same 16 hex digits", a, b)
	}
	if templateKey("Version 4.19.5-Debian") == a {
		t.Fatal("another Samba version gives the same key")
	}
	if templateKeyWith("Version 4.17.12-Debian", dnsProvisionArgs()) == a {
		t.Fatal("the template with DNS has the plain template's key")
	}
}

// TestRemoveOtherTemplatesKeepsTheOtherKind: building a plain template
// removes older plain ones and leaves the DNS kind (and the other way
// round), so test binaries using either do not rebuild each other's.
func TestRemoveOtherTemplatesKeepsTheOtherKind(t *testing.T) {
	for _, dns := range []bool{false, true} {
		dir := t.TempDir()
		for _, name := range []string{"template-aaa", "template-dns-bbb", "building-1", "dc-x"} {
			if err := os.Mkdir(filepath.Join(dir, name), 0o700); err != nil {
				t.Fatal(err)
			}
		}
		removeOtherTemplates(dir, "", dns)
		want := []string{"dc-x", "template-dns-bbb"}
		if dns {
			want = []string{"dc-x", "template-aaa"}
		}
		entries, _ := os.ReadDir(dir)
		var got []string
		for _, e := range entries {
			got = append(got, e.Name())
		}
		if !slices.Equal(got, want) {
			t.Errorf("dns %v: left %v, want %v", dns, got, want)
		}
	}
}

// fakeTemplate writes a template directory by hand (no samba) for the
// validation and copy tests.
func fakeTemplate(t *testing.T, key string) (*template, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "template-"+key)
	dc := filepath.Join(dir, "dc")
	for _, d := range []string{"etc", "private/sam.ldb.d", "state/sysvol"} {
		if err := os.MkdirAll(filepath.Join(dc, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"etc/smb.conf":            "[global]\n\tprivate dir = " + dc + "/private\n\tlog file = " + dc + "/log.%m\n",
		"private/sam.ldb":         "sam",
		"private/sam.ldb.d/x.ldb": "partition",
		"private/secrets.keytab":  "keytab",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dc, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("sam.ldb", filepath.Join(dc, "private", "link.ldb")); err != nil {
		t.Fatal(err)
	}
	sizes, err := fileSizes(dc)
	if err != nil {
		t.Fatal(err)
	}
	meta := templateMeta{Key: key, SambaVersion: "v", BuiltAt: time.Now().UTC(), ProvisionedAt: dc,
		AdminPassword: "Adm-x", Files: sizes}
	writeMeta(t, dir, meta)
	return &template{dir: dir, meta: meta}, dc
}

func writeMeta(t *testing.T, dir string, meta templateMeta) {
	t.Helper()
	b, err := json.Marshal(meta)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "meta.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadTemplate(t *testing.T) {
	tests := []struct {
		name    string
		key     string // asked for
		corrupt func(t *testing.T, tpl *template, dc string)
		ok      bool
	}{
		{"complete", "k1", func(*testing.T, *template, string) {}, true},
		{"another key", "k2", func(*testing.T, *template, string) {}, false},
		{"no meta.json (unfinished)", "k1", func(t *testing.T, tpl *template, _ string) {
			os.Remove(filepath.Join(tpl.dir, "meta.json"))
		}, false},
		{"too old", "k1", func(t *testing.T, tpl *template, _ string) {
			m := tpl.meta
			m.BuiltAt = time.Now().Add(-templateMaxAge - time.Hour)
			writeMeta(t, tpl.dir, m)
		}, false},
		{"built in the future", "k1", func(t *testing.T, tpl *template, _ string) {
			m := tpl.meta
			m.BuiltAt = time.Now().Add(time.Hour)
			writeMeta(t, tpl.dir, m)
		}, false},
		{"a file deleted", "k1", func(t *testing.T, _ *template, dc string) {
			os.Remove(filepath.Join(dc, "private", "secrets.keytab"))
		}, false},
		{"a file truncated", "k1", func(t *testing.T, _ *template, dc string) {
			os.WriteFile(filepath.Join(dc, "private", "sam.ldb"), nil, 0o600)
		}, false},
		{"a file added", "k1", func(t *testing.T, _ *template, dc string) {
			os.WriteFile(filepath.Join(dc, "stray"), []byte("x"), 0o600)
		}, false},
		{"no admin password", "k1", func(t *testing.T, tpl *template, _ string) {
			m := tpl.meta
			m.AdminPassword = ""
			writeMeta(t, tpl.dir, m)
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tpl, dc := fakeTemplate(t, "k1")
			tc.corrupt(t, tpl, dc)
			got, err := loadTemplate(tpl.dir, tc.key)
			if (err == nil) != tc.ok {
				t.Fatalf("loadTemplate: %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && got.meta.AdminPassword != tpl.meta.AdminPassword {
				t.Fatal("loaded the wrong meta")
			}
		})
	}
}

func TestCopyTemplate(t *testing.T) {
	tpl, src := fakeTemplate(t, "k1")
	dst := filepath.Join(t.TempDir(), "dc-1")
	if err := os.Mkdir(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := copyTemplate(tpl, dst); err != nil {
		t.Fatal(err)
	}
	want, _ := fileSizes(src)
	got, err := fileSizes(dst)
	if err != nil {
		t.Fatal(err)
	}
	delete(want, "etc/smb.conf") // rewritten: its size changes
	delete(got, "etc/smb.conf")
	for name, size := range want {
		if got[name] != size {
			t.Errorf("%s: size %d, want %d", name, got[name], size)
		}
	}
	if len(got) != len(want) {
		t.Errorf("copied %d files, want %d", len(got), len(want))
	}
	if string(testutil.ReadFile(t, filepath.Join(dst, "private", "sam.ldb"))) != "sam" {
		t.Error("content differs")
	}
	if l, err := os.Readlink(filepath.Join(dst, "private", "link.ldb")); err != nil || l != "sam.ldb" {
		t.Errorf("symlink: %q %v", l, err)
	}
	fi, err := os.Stat(filepath.Join(dst, "private", "secrets.keytab"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode not kept: %v %v", fi.Mode(), err)
	}
	conf := string(testutil.ReadFile(t, filepath.Join(dst, "etc", "smb.conf")))
	if strings.Contains(conf, src) || !strings.Contains(conf, "private dir = "+dst+"/private") {
		t.Fatalf("smb.conf not rewritten:\n%s", conf)
	}
	// The template itself is untouched.
	if _, err := loadTemplate(tpl.dir, "k1"); err != nil {
		t.Fatalf("copying changed the template: %v", err)
	}
}

// A real template, built in a private state directory: the first call
// provisions it, the second reuses it. (DCs copied from a template are
// what every test using Shared runs on.)
func TestEnsureTemplateBuildsOnceThenReuses(t *testing.T) {
	opts := Options{StateDir: t.TempDir(), Logf: t.Logf}.withDefaults()
	start := time.Now()
	first, built, err := ensureTemplate(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("template built in %v", time.Since(start))
	if !built {
		t.Fatal("a fresh state directory had a template")
	}
	if _, err := os.Stat(filepath.Join(first.dcDir(), "private", "sam.ldb")); err != nil {
		t.Fatal(err)
	}
	conf := string(testutil.ReadFile(t, filepath.Join(first.dcDir(), "etc", "smb.conf")))
	if strings.Contains(conf, "building-") || !strings.Contains(conf, first.dcDir()) {
		t.Fatalf("template smb.conf does not name its final place:\n%s", conf)
	}
	second, built, err := ensureTemplate(opts)
	if err != nil {
		t.Fatal(err)
	}
	if built || second.dir != first.dir || second.meta.AdminPassword != first.meta.AdminPassword {
		t.Fatalf("second call built=%v dir=%s: want the first template reused", built, second.dir)
	}
	entries, _ := os.ReadDir(opts.StateDir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "building-") {
			t.Fatalf("unfinished build %s left behind", e.Name())
		}
	}
}
