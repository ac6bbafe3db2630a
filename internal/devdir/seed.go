package devdir

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// TutorialUserKey names (slapdtest.SampleUser.Key) the sample user the
// tutorial creates in the UI: test / test123.
const TutorialUserKey = "TEST"

// tutorialEntries are the DNs a tutorial directory leaves out: the user
// test and its posixGroup testgroup, which the tutorial creates in the UI.
func tutorialEntries() []string {
	u, _ := slapdtest.SampleUserByKey(TutorialUserKey)
	return []string{u.DN, slapdtest.TestGroupDN}
}

// writeTutorialData copies the *.ldif files of src into dst without the
// tutorial's entries.
func writeTutorialData(src, dst string) error {
	files, err := filepath.Glob(filepath.Join(src, "*.ldif"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("devdir: no *.ldif files in %s", src)
	}
	sort.Strings(files)
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		kept, err := withoutEntries(string(b), tutorialEntries())
		if err != nil {
			return fmt.Errorf("devdir: %s: %w", f, err)
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), []byte(kept), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// withoutEntries removes from an LDIF text the records whose DN is one of
// dns (compared as DNs: case and spacing do not matter). A record is a
// paragraph; the comment lines at its top go with it.
func withoutEntries(ldif string, dns []string) (string, error) {
	drop := make([]*ldap.DN, 0, len(dns))
	for _, s := range dns {
		dn, err := ldap.ParseDN(s)
		if err != nil {
			return "", fmt.Errorf("DN %q: %w", s, err)
		}
		drop = append(drop, dn)
	}
	var out []string
	for _, para := range paragraphs(ldif) {
		dn, ok := recordDN(para)
		if ok {
			parsed, err := ldap.ParseDN(dn)
			if err != nil {
				return "", fmt.Errorf("record DN %q: %w", dn, err)
			}
			if containsDN(drop, parsed) {
				continue
			}
		}
		out = append(out, para)
	}
	return strings.Join(out, "\n\n") + "\n", nil
}

// paragraphs splits text at blank lines.
func paragraphs(text string) []string {
	var paras []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			paras = append(paras, strings.Join(cur, "\n"))
			cur = nil
		}
	}
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		cur = append(cur, line)
	}
	flush()
	return paras
}

// recordDN returns the value of a paragraph's dn: line, if it has one
// (a paragraph of comments only has none). The sample files write DNs in
// plain text, never base64 ("dn::").
func recordDN(para string) (string, bool) {
	for _, line := range strings.Split(para, "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		if len(line) > 3 && strings.EqualFold(line[:3], "dn:") && line[3] != ':' {
			return strings.TrimSpace(line[3:]), true
		}
		return "", false
	}
	return "", false
}

func containsDN(list []*ldap.DN, dn *ldap.DN) bool {
	for _, d := range list {
		if d.EqualFold(dn) {
			return true
		}
	}
	return false
}
