package adtest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// A template is a provisioned domain with the sample data, built once per
// machine under StateDir and copied for every DC: copying its ~33 MB takes
// a fraction of a second, provisioning takes 4-15 s. It is only ever
// touched with the machine lock held, and samba never runs on it.
//
// Layout: StateDir/template-KEY/{dc/, meta.json}. KEY hashes everything the
// template depends on (Samba's version, the provisioning arguments and the
// sample data), so a change to any of them builds a new one.

// templateRecipe changes when the way a template is built changes in a
// way the key does not capture.
const templateRecipe = "adtest-template-1"

// templateMaxAge bounds how long a template is reused: the sample users'
// passwords were set when it was built and expire after the domain's
// maxPwdAge (42 days).
const templateMaxAge = 7 * 24 * time.Hour

// templateMeta is meta.json, written last: a template without it is
// incomplete.
type templateMeta struct {
	Key           string    `json:"key"`
	SambaVersion  string    `json:"samba_version"`
	BuiltAt       time.Time `json:"built_at"`
	ProvisionedAt string    `json:"provisioned_at"` // the dc/ path samba-tool wrote into smb.conf
	AdminPassword string    `json:"admin_password"`
	// Files maps each regular file under dc/ (slash-separated relative
	// path) to its size: a template with a missing or changed file (a tmp
	// cleaner, a full disk) is rebuilt instead of used.
	Files map[string]int64 `json:"files"`
}

// Template directory names: the plain kind, and the kind with Samba's DNS
// server (Options.DNS).
const (
	plainTemplatePrefix = "template-"
	dnsTemplatePrefix   = "template-dns-"
)

type template struct {
	dir  string // StateDir/template-KEY
	meta templateMeta
}

func (t *template) dcDir() string { return filepath.Join(t.dir, "dc") }

// templateKey hashes what a template depends on.
func templateKey(sambaVersion string) string { return templateKeyWith(sambaVersion, nil) }

// templateKeyWith is templateKey for a template provisioned with extra
// arguments.
func templateKeyWith(sambaVersion string, extra []string) string {
	h := sha256.New()
	parts := []string{
		templateRecipe, sambaVersion,
		strings.Join(provisionArgs("DIR", "PASSWORD"), "\x00"),
		policyLDIF(), sampleLDIF(), expiredLDIF(),
	}
	if len(extra) > 0 {
		parts = append(parts, strings.Join(extra, "\x00"))
	}
	for _, part := range parts {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// ensureTemplate returns a usable template, building it if needed. Call it
// with the machine lock held. built reports whether it was built now.
func ensureTemplate(opts Options) (t *template, built bool, err error) {
	version, err := sambaVersion(opts)
	if err != nil {
		return nil, false, err
	}
	key, prefix := templateKey(version), plainTemplatePrefix
	if opts.DNS {
		key, prefix = templateKeyWith(version, dnsProvisionArgs()), dnsTemplatePrefix
	}
	dir := filepath.Join(opts.StateDir, prefix+key)
	if t, err := loadTemplate(dir, key); err == nil {
		return t, false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		opts.Logf("adtest: rebuilding the domain template: %v", err)
	}
	removeOtherTemplates(opts.StateDir, "", opts.DNS)
	opts.Logf("adtest: provisioning the domain template for %s in %s (once per machine)", version, dir)
	t, err = buildTemplate(opts, dir, key, version)
	if err != nil {
		return nil, false, err
	}
	return t, true, nil
}

// loadTemplate checks that dir holds a complete, fresh template for key.
func loadTemplate(dir, key string) (*template, error) {
	b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return nil, err
	}
	var meta templateMeta
	if err := json.Unmarshal(b, &meta); err != nil {
		return nil, fmt.Errorf("template %s: meta.json: %w", dir, err)
	}
	if meta.Key != key || meta.AdminPassword == "" || meta.ProvisionedAt == "" {
		return nil, fmt.Errorf("template %s: meta.json is not for key %s", dir, key)
	}
	if age := time.Since(meta.BuiltAt); age > templateMaxAge || age < 0 {
		return nil, fmt.Errorf("template %s: built %s ago", dir, age.Round(time.Minute))
	}
	t := &template{dir: dir, meta: meta}
	files, err := fileSizes(t.dcDir())
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", dir, err)
	}
	if !maps.Equal(files, meta.Files) {
		return nil, fmt.Errorf("template %s: its files changed since it was built", dir)
	}
	return t, nil
}

// removeOtherTemplates deletes every template and unfinished build except
// keep (a path; "" keeps none).
func removeOtherTemplates(stateDir, keep string, dns bool) {
	entries, _ := os.ReadDir(stateDir)
	for _, e := range entries {
		name := e.Name()
		p := filepath.Join(stateDir, name)
		// The plain and the DNS template are two kinds: building one
		// keeps the other.
		sameKind := strings.HasPrefix(name, dnsTemplatePrefix) == dns && strings.HasPrefix(name, plainTemplatePrefix)
		if p != keep && e.IsDir() && (sameKind || strings.HasPrefix(name, "building-")) {
			_ = os.RemoveAll(p)
		}
	}
}

// buildTemplate provisions into a fresh directory and renames it to dir
// only when complete, so a crash mid-build leaves no usable template.
func buildTemplate(opts Options, dir, key, version string) (*template, error) {
	if err := os.MkdirAll(opts.StateDir, 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(opts.StateDir, "building-")
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			_ = os.RemoveAll(tmp)
		}
	}()
	pw, err := newAdminPassword()
	if err != nil {
		return nil, err
	}
	// smb.conf records where samba-tool provisioned; copyTemplate rewrites
	// that prefix, so it must be the final path, not tmp.
	final := filepath.Join(dir, "dc")
	tmpDC := filepath.Join(tmp, "dc")
	if err := os.Mkdir(tmpDC, 0o700); err != nil {
		return nil, err
	}
	if err := provision(opts, tmpDC, pw); err != nil {
		return nil, err
	}
	if err := rewriteConf(filepath.Join(tmpDC, "etc", "smb.conf"), tmpDC, final); err != nil {
		return nil, err
	}
	files, err := fileSizes(tmpDC)
	if err != nil {
		return nil, err
	}
	meta := templateMeta{Key: key, SambaVersion: version, BuiltAt: time.Now().UTC(), ProvisionedAt: final,
		AdminPassword: pw, Files: files}
	b, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, "meta.json"), b, 0o600); err != nil {
		return nil, err
	}
	_ = os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		return nil, err
	}
	ok = true
	return &template{dir: dir, meta: meta}, nil
}

// fileSizes lists the regular files under root with their sizes.
func fileSizes(root string) (map[string]int64, error) {
	out := map[string]int64{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = fi.Size()
		return nil
	})
	return out, err
}

// copyTemplate copies the template's domain into dst (which must exist and
// be empty) and points its smb.conf at dst.
func copyTemplate(t *template, dst string) error {
	src := t.dcDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "." {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.Mkdir(target, info.Mode().Perm())
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			return copyFile(p, target, info.Mode().Perm())
		default:
			return fmt.Errorf("adtest: template holds %s of type %v", p, d.Type())
		}
	})
	if err != nil {
		return fmt.Errorf("adtest: copy template: %w", err)
	}
	return rewriteConf(filepath.Join(dst, "etc", "smb.conf"), t.meta.ProvisionedAt, dst)
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// rewriteConf replaces the directory samba-tool provisioned into with dir
// in smb.conf, the only file of a provisioned domain that names it.
func rewriteConf(path, from, to string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	conf := string(b)
	if !strings.Contains(conf, from) {
		return fmt.Errorf("adtest: %s does not mention %s", path, from)
	}
	// Rewrite whole paths only: "from" followed by "/" or the line end.
	lines := strings.Split(conf, "\n")
	for i, line := range lines {
		if k := strings.Index(line, " = "); k >= 0 {
			val := line[k+3:]
			if val == from || strings.HasPrefix(val, from+"/") {
				lines[i] = line[:k+3] + to + val[len(from):]
			}
		}
	}
	conf = strings.Join(lines, "\n")
	if strings.Contains(conf, from+"/") || slices.Contains(strings.Fields(conf), from) {
		return fmt.Errorf("adtest: %s still mentions %s after rewriting", path, from)
	}
	return os.WriteFile(path, []byte(conf), 0o644)
}
