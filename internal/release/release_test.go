package release

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

func TestChangelogVersion(t *testing.T) {
	for _, tc := range []struct {
		text, want string
		ok         bool
	}{
		{"# Changelog\n\n## v0.2.0 (2027-01-02)\n\n## v0.1.0 (2026-12-07)\n", "v0.2.0", true},
		{"# Changelog\n## Unreleased\n## v1.10.3-rc.1 (x)\n", "v1.10.3-rc.1", true},
		{"# Changelog\n\n### v0.1.0\n", "", false},
		{"## 0.1.0\n", "", false},
		{"", "", false},
	} {
		got, err := ChangelogVersion([]byte(tc.text))
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("%q: got %q, %v; want %q (ok %v)", tc.text, got, err, tc.want, tc.ok)
		}
	}
}

// TestRepositoryChangelogNamesARelease: the repository's own CHANGELOG.md
// must give the release tool a version.
func TestRepositoryChangelogNamesARelease(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "CHANGELOG.md"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ChangelogVersion(data); err != nil {
		t.Fatal(err)
	}
}

func TestNewBuildID(t *testing.T) {
	now := time.Date(2026, 12, 7, 3, 4, 5, 0, time.FixedZone("x", 3600))
	if got := NewBuildID(now, "1a2b3c4d"); got != "20261207020405-1a2b3c4d" || !buildIDPattern.MatchString(got) {
		t.Fatalf("got %q", got)
	}
	if got := NewBuildID(now, ""); got != "20261207020405" {
		t.Fatalf("got %q", got)
	}
}

// TestCheckStatic tells a cgo-free build from one linked against libc.
func TestCheckStatic(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nimport \"os/user\"\n\nfunc main() { _, _ = user.Current() }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	build := func(cgo string) string {
		out := filepath.Join(dir, "bin-cgo"+cgo)
		cmd := exec.Command("go", "build", "-o", out, src)
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+cgo, "GOWORK=off", "GOFLAGS=")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, b)
		}
		return out
	}
	if err := CheckStatic(build("0")); err != nil {
		t.Errorf("cgo-free binary: %v", err)
	}
	if err := CheckStatic(build("1")); err == nil {
		t.Errorf("a binary linked against libc passed as static")
	}
}

// TestReleaseEndToEnd runs ./build.sh release on a gateway source and checks
// what an operator downloads: the names carry the release, the build id and
// the gateway; the .so and the check command are stamped with them; the
// check command is static; SHA256SUMS verifies with sha256sum -c; and the
// same build id is never released twice. The gateway source is the Tyk
// stand-in (the real one cannot be fetched here) with the plugin's own
// x/sys, so the dependency check passes; no Tyk bundler is on PATH, so the
// release ends with exit status 3 and says how to get the bundle.
func TestReleaseEndToEnd(t *testing.T) {
	root := repoRoot(t)
	gw := standInGateway(t, root)
	dist := t.TempDir()
	const id = "reltest1"
	env := append(os.Environ(), "TYK_SRC="+gw, "TYK_VERSION=v5.14.0", "DIST_DIR="+dist, "BUILD_ID="+id,
		"PATH="+pathWithout(t, "tyk", "docker"), "GOFLAGS=")
	env = withoutVar(env, "GOWORK", "TYK_BIN", "LDAPAUTH_VERSION")
	run := func() (int, string) {
		cmd := exec.Command("bash", filepath.Join(root, "build.sh"), "release")
		cmd.Dir = root
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), out.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, out.String()
	}
	code, out := run()
	if code != 3 || !strings.Contains(out, "TYK_BIN") {
		t.Fatalf("exit %d, want 3 (no bundler) naming TYK_BIN:\n%s", code, out)
	}
	changelog, err := os.ReadFile(filepath.Join(root, "CHANGELOG.md"))
	if err != nil {
		t.Fatal(err)
	}
	ver, err := ChangelogVersion(changelog)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(dist, "tyk-ldap-auth-"+ver+"-"+id)
	so := filepath.Join(dir, "ldapauth-"+id+"_v5.14.0_linux_amd64.so")
	check := filepath.Join(dir, CheckName(ver, id))

	// The linker stamped the release, the build id and the gateway into
	// the .so's variables (read from its symbol table and data).
	mod := "tyk.internal/tyk_plugin" + id + "/ldapauth/version."
	for name, want := range map[string]string{"Version": ver, "BuildID": id, "Gateway": "v5.14.0"} {
		if got := stampedString(t, so, mod+name); got != want {
			t.Errorf("the .so's %s is %q, want %q", name, got, want)
		}
	}
	if err := CheckStatic(check); err != nil {
		t.Error(err)
	}
	v, err := exec.Command(check, "-version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "tyk-ldap-auth " + ver + " (build " + id + ", go"; !strings.HasPrefix(string(v), want) {
		t.Errorf("-version says %q, want it to start with %q", v, want)
	}
	sums := exec.Command("sha256sum", "-c", "SHA256SUMS")
	sums.Dir = dir
	if b, err := sums.CombinedOutput(); err != nil {
		t.Errorf("sha256sum -c: %v\n%s", err, b)
	} else {
		for _, name := range []string{filepath.Base(so), filepath.Base(check), "manifest.json"} {
			if !strings.Contains(string(b), name) {
				t.Errorf("SHA256SUMS does not cover %s:\n%s", name, b)
			}
		}
	}
	if code, out := run(); code != 1 || !strings.Contains(out, "a new release needs a new build id") {
		t.Errorf("a second release with build id %s: exit %d\n%s", id, code, out)
	}
}

// stampedString reads a Go string variable from an ELF file: the symbol
// holds the string header (pointer, length), which points into read-only
// data.
func stampedString(t *testing.T, file, symbol string) string {
	t.Helper()
	f, err := elf.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	read := func(addr, n uint64) []byte {
		for _, s := range f.Sections {
			if s.Type != elf.SHT_NOBITS && addr >= s.Addr && addr+n <= s.Addr+s.Size {
				b := make([]byte, n)
				if _, err := s.ReadAt(b, int64(addr-s.Addr)); err != nil {
					t.Fatal(err)
				}
				return b
			}
		}
		t.Fatalf("%s: no section holds %#x+%d", file, addr, n)
		return nil
	}
	for _, s := range syms {
		if s.Name == symbol {
			hdr := read(s.Value, 16)
			ptr, n := binary.LittleEndian.Uint64(hdr), binary.LittleEndian.Uint64(hdr[8:])
			if ptr == 0 {
				// In a shared object the pointer is filled in at load time
				// from a relative relocation: its addend is the address.
				ptr = relativeAddend(t, f, s.Value)
			}
			if n == 0 {
				return ""
			}
			return string(read(ptr, n))
		}
	}
	t.Fatalf("%s has no symbol %s", file, symbol)
	return ""
}

// relativeAddend resolves the dynamic relocation (relative, or against a
// symbol) that fills in the pointer at addr.
func relativeAddend(t *testing.T, f *elf.File, addr uint64) uint64 {
	t.Helper()
	sec := f.Section(".rela.dyn")
	if sec == nil {
		t.Fatal("no .rela.dyn")
	}
	data, err := sec.Data()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+24 <= len(data); i += 24 {
		off, info, addend := binary.LittleEndian.Uint64(data[i:]), binary.LittleEndian.Uint64(data[i+8:]), binary.LittleEndian.Uint64(data[i+16:])
		if off != addr {
			continue
		}
		switch elf.R_X86_64(info & 0xffffffff) {
		case elf.R_X86_64_RELATIVE:
			return addend
		case elf.R_X86_64_64:
			syms, err := f.DynamicSymbols()
			if err != nil || info>>32 == 0 || int(info>>32) > len(syms) {
				t.Fatalf("relocation of %#x names no symbol: %v", addr, err)
			}
			return syms[info>>32-1].Value + addend
		}
	}
	t.Fatalf("no relative relocation for %#x", addr)
	return 0
}

// standInGateway copies the Tyk stand-in into a gateway source directory
// whose x/sys is the plugin module's own (the stand-in pins an older one).
func standInGateway(t *testing.T, root string) string {
	t.Helper()
	gw := filepath.Join(t.TempDir(), "tyk")
	if b, err := exec.Command("cp", "-r", filepath.Join(root, "testdata", "tykstandin"), gw).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, b)
	}
	for _, f := range []string{"go.work", "go.work.sum"} {
		_ = os.Remove(filepath.Join(gw, f))
	}
	sys := moduleVersion(t, root, "golang.org/x/sys")
	edit := exec.Command("go", "mod", "edit", "-require=golang.org/x/sys@"+sys)
	edit.Dir = gw
	edit.Env = append(os.Environ(), "GOWORK=off")
	if b, err := edit.CombinedOutput(); err != nil {
		t.Fatalf("go mod edit: %v\n%s", err, b)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(gw, "go.sum"), os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, line := range strings.Split(string(sum), "\n") {
		if strings.HasPrefix(line, "golang.org/x/sys "+sys+" ") || strings.HasPrefix(line, "golang.org/x/sys "+sys+"/go.mod ") {
			if _, err := f.WriteString(line + "\n"); err != nil {
				t.Fatal(err)
			}
		}
	}
	return gw
}

func moduleVersion(t *testing.T, root, module string) string {
	t.Helper()
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Version}}", module)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -m %s: %v", module, err)
	}
	return strings.TrimSpace(string(out))
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

func withoutVar(env []string, names ...string) []string {
	out := env[:0:0]
	for _, kv := range env {
		keep := true
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				keep = false
			}
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}

// pathWithout returns a directory of links to every command on PATH except
// the named ones, so build.sh cannot find those.
func pathWithout(t *testing.T, hidden ...string) string {
	t.Helper()
	bin := t.TempDir()
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			name := e.Name()
			dst := filepath.Join(bin, name)
			if hiddenName(name, hidden) {
				continue
			}
			if _, err := os.Lstat(dst); err == nil {
				continue
			}
			if err := os.Symlink(filepath.Join(dir, name), dst); err != nil {
				t.Fatal(err)
			}
		}
	}
	return bin
}

func hiddenName(name string, hidden []string) bool {
	for _, h := range hidden {
		if name == h {
			return true
		}
	}
	return false
}
