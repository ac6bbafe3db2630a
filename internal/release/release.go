// Package release assembles a release of tyk-ldap-auth for one gateway
// version: the plugin (.so), its bundle, a static ldapauth-check and
// SHA-256 checksums, in a directory named by release and build id. The .so
// and the bundle come from build.sh (the same build and dependency check as
// every other build); this package names, stamps, gathers and checksums.
//
// It uses the standard library only: anything imported here would enter
// the plugin's module graph.
package release

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Options is one release.
type Options struct {
	// Root is the repository root (build.sh, CHANGELOG.md, go.mod).
	Root string
	// Dist is where the release directory is made.
	Dist string
	// BuildID tells this build apart; empty makes one from the time and
	// the commit.
	BuildID string
	// Env is the environment build.sh and go run with (TYK_SRC,
	// TYK_VERSION, TYK_BIN, BUNDLE_SIGNING_KEY, ...).
	Env []string
	// Stdout and Stderr receive the build's output.
	Stdout, Stderr io.Writer
	// Now is the clock for build ids.
	Now func() time.Time
}

// Result is what a release produced.
type Result struct {
	Dir     string
	Version string
	BuildID string
	Gateway string
	// Files are the released files, relative to Dir, in SHA256SUMS order.
	Files []string
	// Bundle is false when no Tyk bundler was found: the bundle's inputs
	// are in Dir, the bundle is not.
	Bundle bool
}

// ErrNoBundler means everything but the bundle was released.
var ErrNoBundler = errors.New("no Tyk bundler found: the bundle was not built (set TYK_BIN to a gateway binary of the same version)")

var versionHeading = regexp.MustCompile(`^## (v[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?)\b`)

// ChangelogVersion returns the newest release named in a CHANGELOG.md: its
// first "## vX.Y.Z" heading. It is the one place a version is written.
func ChangelogVersion(changelog []byte) (string, error) {
	sc := bufio.NewScanner(bytes.NewReader(changelog))
	for sc.Scan() {
		if m := versionHeading.FindStringSubmatch(sc.Text()); m != nil {
			return m[1], nil
		}
	}
	return "", errors.New(`CHANGELOG.md names no release: add a "## vX.Y.Z (date)" entry`)
}

var buildIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$`)

// NewBuildID is unique per second and per commit: what a gateway needs to
// tell two builds apart (build.sh makes the same kind).
func NewBuildID(now time.Time, commit string) string {
	id := now.UTC().Format("20060102150405")
	if commit != "" {
		id += "-" + commit
	}
	return id
}

var soName = regexp.MustCompile(`^ldapauth_(v[0-9]+\.[0-9]+\.[0-9]+)_([a-z0-9]+)_([a-z0-9]+)\.so$`)

// Run builds the release. It returns ErrNoBundler (with a usable Result)
// when everything but the bundle was made.
func Run(opts Options) (*Result, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	changelog, err := os.ReadFile(filepath.Join(opts.Root, "CHANGELOG.md"))
	if err != nil {
		return nil, err
	}
	ver, err := ChangelogVersion(changelog)
	if err != nil {
		return nil, err
	}
	id := opts.BuildID
	if id == "" {
		id = NewBuildID(opts.Now(), gitCommit(opts.Root))
	}
	if !buildIDPattern.MatchString(id) {
		return nil, fmt.Errorf("build id %q: use 1-40 characters of A-Z a-z 0-9 _ -", id)
	}
	res := &Result{Version: ver, BuildID: id, Dir: filepath.Join(opts.Dist, "tyk-ldap-auth-"+ver+"-"+id)}
	// A gateway never fetches a bundle name it already has and refuses a
	// second plugin with one module path: a release is never rebuilt in place.
	if _, err := os.Stat(res.Dir); err == nil {
		return nil, fmt.Errorf("%s exists: a new release needs a new build id", res.Dir)
	}
	if err := os.MkdirAll(res.Dir, 0o755); err != nil {
		return nil, err
	}

	bundleErr := runBuildSh(opts, res)
	if bundleErr != nil && !errors.Is(bundleErr, ErrNoBundler) {
		return nil, bundleErr
	}
	res.Bundle = bundleErr == nil
	if err := gatherPlugin(res); err != nil {
		return nil, err
	}
	if err := buildCheck(opts, res); err != nil {
		return nil, err
	}
	if err := writeSums(res); err != nil {
		return nil, err
	}
	return res, bundleErr
}

// runBuildSh builds the .so with its manifest (and the bundle when a
// bundler exists) through build.sh bundle, into res.Dir.
func runBuildSh(opts Options, res *Result) error {
	cmd := exec.Command("bash", filepath.Join(opts.Root, "build.sh"), "bundle")
	cmd.Dir = opts.Root
	cmd.Env = append(slices.Clone(opts.Env), "BUILD_ID="+res.BuildID, "DIST_DIR="+res.Dir, "LDAPAUTH_VERSION="+res.Version)
	cmd.Stdout, cmd.Stderr = opts.Stdout, opts.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 3 {
		return ErrNoBundler
	}
	if err != nil {
		return fmt.Errorf("build.sh bundle: %w", err)
	}
	return nil
}

// gatherPlugin finds the .so build.sh made for the bundle and puts a copy
// beside it under the name an API's middleware path needs for this build
// id (ldapauth-<id>_<gateway>_linux_amd64.so, named as .../ldapauth-<id>.so).
func gatherPlugin(res *Result) error {
	stage := filepath.Join(res.Dir, "ldapauth-"+res.BuildID)
	entries, err := os.ReadDir(stage)
	if err != nil {
		return fmt.Errorf("build.sh left no %s: %w", stage, err)
	}
	for _, e := range entries {
		m := soName.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		res.Gateway = m[1]
		name := fmt.Sprintf("ldapauth-%s_%s_%s_%s.so", res.BuildID, m[1], m[2], m[3])
		if err := copyFile(filepath.Join(stage, e.Name()), filepath.Join(res.Dir, name)); err != nil {
			return err
		}
		res.Files = append(res.Files, name)
		if res.Bundle {
			res.Files = append(res.Files, "ldapauth-"+res.BuildID+".zip")
		}
		res.Files = append(res.Files, filepath.Join("ldapauth-"+res.BuildID, "manifest.json"))
		return nil
	}
	return fmt.Errorf("no ldapauth_<version>_<os>_<arch>.so in %s", stage)
}

// CheckName is the file name of a release's check command.
func CheckName(version, buildID string) string {
	return "ldapauth-check-" + version + "-" + buildID + "_linux_amd64"
}

// buildCheck builds ldapauth-check as a static binary (no cgo, so it runs
// in a distroless container beside the gateway) stamped like the .so.
func buildCheck(opts Options, res *Result) error {
	name := CheckName(res.Version, res.BuildID)
	out := filepath.Join(res.Dir, name)
	pkg := modulePath(opts.Root) + "/ldapauth/version"
	ldflags := fmt.Sprintf("-s -w -X %s.Version=%s -X %s.BuildID=%s", pkg, res.Version, pkg, res.BuildID)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", out, "./ldapauth/cmd/ldapauth-check")
	cmd.Dir = opts.Root
	cmd.Env = append(slices.Clone(opts.Env), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOWORK=off", "GOFLAGS=")
	cmd.Stdout, cmd.Stderr = opts.Stdout, opts.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building %s: %w", name, err)
	}
	if err := CheckStatic(out); err != nil {
		return err
	}
	res.Files = append(res.Files, name)
	return nil
}

// CheckStatic fails unless path is an ELF executable that needs no dynamic
// loader and no shared library.
func CheckStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked (it names a program interpreter)", path)
		}
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		return fmt.Errorf("%s needs shared libraries %v", path, libs)
	}
	return nil
}

// writeSums writes SHA256SUMS in sha256sum's format, so
// "sha256sum -c SHA256SUMS" verifies a download.
func writeSums(res *Result) error {
	var b strings.Builder
	for _, name := range res.Files {
		sum, err := fileSHA256(filepath.Join(res.Dir, name))
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s  %s\n", sum, filepath.ToSlash(name))
	}
	return os.WriteFile(filepath.Join(res.Dir, "SHA256SUMS"), []byte(b.String()), 0o644)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}

func gitCommit(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short=8", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func modulePath(root string) string {
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}
