// Package bundle writes the manifest.json of a Tyk plugin bundle for the
// LDAP auth plugin. The bundle itself (zip, checksum, signature) is made by
// Tyk's own bundler, `tyk bundle build`; this package only describes what goes
// in, in the format of the gateway's apidef.BundleManifest.
package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Driver is the custom middleware driver of native Go plugins.
const Driver = "goplugin"

// ManifestFile is the name the gateway and the bundler expect.
const ManifestFile = "manifest.json"

// Manifest mirrors the gateway's apidef.BundleManifest. Checksum and Signature
// stay empty here: `tyk bundle build` computes them.
type Manifest struct {
	FileList         []string   `json:"file_list"`
	CustomMiddleware Middleware `json:"custom_middleware"`
	Checksum         string     `json:"checksum"`
	Signature        string     `json:"signature"`
}

// Middleware is the custom_middleware section; the gateway replaces the
// API definition's own section with it when it loads the bundle.
type Middleware struct {
	Driver    string `json:"driver"`
	AuthCheck Hook   `json:"auth_check"`
}

// Hook names the exported function and the file that holds it.
type Hook struct {
	Name string `json:"name"`
	Path string `json:"path"`
}

// versionedName matches the names the plugin compiler writes and the gateway
// looks for: NAME_vX.Y.Z_GOOS_GOARCH.so (the gateway also tries it without
// the v). The gateway turns a hook path NAME.so into these names.
var versionedName = regexp.MustCompile(`^(.+)_v?[0-9]+\.[0-9]+\.[0-9]+_[a-z0-9]+_[a-z0-9]+\.so$`)

// HookPath returns the path to put in auth_check.path for a plugin file, so
// that the gateway's versioned file-name lookup finds that file inside the
// bundle directory: "ldapauth_v5.8.12_linux_amd64.so" gives "ldapauth.so".
func HookPath(soFile string) (string, error) {
	if err := checkFileName(soFile); err != nil {
		return "", err
	}
	if m := versionedName.FindStringSubmatch(soFile); m != nil {
		return m[1] + ".so", nil
	}
	return soFile, nil
}

// New describes a bundle holding one plugin file whose symbol is the
// auth_check hook.
func New(soFile, symbol string) (Manifest, error) {
	hook, err := HookPath(soFile)
	if err != nil {
		return Manifest{}, err
	}
	m := Manifest{
		FileList:         []string{soFile},
		CustomMiddleware: Middleware{Driver: Driver, AuthCheck: Hook{Name: symbol, Path: hook}},
	}
	return m, m.Validate()
}

// Validate checks what the gateway needs from the manifest: the goplugin
// driver, an exported symbol, and a relative hook path that resolves to a
// file in file_list once the gateway has joined it to the bundle directory.
func (m Manifest) Validate() error {
	if m.CustomMiddleware.Driver != Driver {
		return fmt.Errorf("driver is %q, want %q", m.CustomMiddleware.Driver, Driver)
	}
	if name := m.CustomMiddleware.AuthCheck.Name; !exported(name) {
		return fmt.Errorf("auth_check.name %q is not an exported Go function name", name)
	}
	if len(m.FileList) == 0 {
		return errors.New("file_list is empty")
	}
	for _, f := range m.FileList {
		if err := checkFileName(f); err != nil {
			return fmt.Errorf("file_list: %w", err)
		}
	}
	hook := m.CustomMiddleware.AuthCheck.Path
	if err := checkFileName(hook); err != nil {
		return fmt.Errorf("auth_check.path: %w", err)
	}
	for _, f := range m.FileList {
		if p, _ := HookPath(f); p == hook {
			return nil
		}
	}
	return fmt.Errorf("auth_check.path %q resolves to none of file_list %q", hook, m.FileList)
}

// checkFileName accepts the plain, relative .so file names a bundle holds:
// the gateway joins them to the bundle directory, so anything absolute or
// climbing out of it would point elsewhere.
func checkFileName(name string) error {
	switch {
	case name == "":
		return errors.New("empty file name")
	case filepath.IsAbs(name) || strings.ContainsAny(name, `/\`):
		return fmt.Errorf("%q must be a plain file name, relative to the bundle", name)
	case name == "." || name == ".." || strings.HasPrefix(name, "."):
		return fmt.Errorf("%q is not a plugin file name", name)
	case !strings.HasSuffix(name, ".so"):
		return fmt.Errorf("%q does not end in .so", name)
	}
	return nil
}

func exported(name string) bool {
	r, _ := utf8.DecodeRuneInString(name)
	if !unicode.IsUpper(r) {
		return false
	}
	for _, c := range name {
		if c != '_' && !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			return false
		}
	}
	return true
}

// Write validates m and writes it as dir/manifest.json. Every file in
// file_list must already be in dir, because the bundler reads them relative
// to the manifest's directory.
func Write(dir string, m Manifest) (string, error) {
	if err := m.Validate(); err != nil {
		return "", err
	}
	for _, f := range m.FileList {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return "", fmt.Errorf("file_list: %w", err)
		} else if !st.Mode().IsRegular() {
			return "", fmt.Errorf("file_list: %s is not a regular file", f)
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, ManifestFile)
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return "", err
	}
	return path, nil
}

// Read parses a manifest.json (as written by Write or by the bundler).
func Read(path string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
