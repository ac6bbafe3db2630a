package docstest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/release"
)

// TestExampleVersionsComeFromOnePlace: every gateway version an example
// builds, names or runs is build.sh's DEFAULT_TYK_VERSION, and every
// tyk-ldap-auth version is CHANGELOG.md's newest release. Pages that list
// other versions on purpose (docs/tyk-versions.md, CHANGELOG.md) and
// commands that show another version as an alternative (TYK_VERSION=...)
// are not examples of the default.
func TestExampleVersionsComeFromOnePlace(t *testing.T) {
	root := repoRoot(t)
	buildSh, err := os.ReadFile(filepath.Join(root, "build.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^readonly DEFAULT_TYK_VERSION=(v\d+\.\d+\.\d+)$`).FindSubmatch(buildSh)
	if m == nil {
		t.Fatal("build.sh has no DEFAULT_TYK_VERSION")
	}
	tyk := string(m[1])
	changelog, err := os.ReadFile(filepath.Join(root, "CHANGELOG.md"))
	if err != nil {
		t.Fatal(err)
	}
	ours, err := release.ChangelogVersion(changelog)
	if err != nil {
		t.Fatal(err)
	}
	v := `(v\d+\.\d+\.\d+)`
	gateway := []*regexp.Regexp{
		regexp.MustCompile(`_` + v + `_linux_amd64`),
		regexp.MustCompile(`tyk-gateway:` + v),
		regexp.MustCompile(`tyk-plugin-compiler:` + v),
		regexp.MustCompile(`ARG TYK_VERSION=` + v),
		regexp.MustCompile(`tag: ` + v),
		regexp.MustCompile(`tyk-gateway-ldapauth:` + v),
		regexp.MustCompile(`Tyk Gateway ` + v),
		regexp.MustCompile(`\$\{TYK_VERSION:-` + v + `\}`),
	}
	plugin := []*regexp.Regexp{
		regexp.MustCompile(`tyk-ldap-auth-` + v),
		regexp.MustCompile(`ldapauth-check-` + v),
		regexp.MustCompile(`LDAPAUTH_VERSION=` + v),
		regexp.MustCompile(`tyk-ldap-auth ` + v),
	}
	files := []string{"README.md"}
	for _, glob := range []string{"docs/*.md", "testdata/kubernetes/*", "testdata/kubernetes/values/*", "testdata/compose/*"} {
		matches, err := filepath.Glob(filepath.Join(root, glob))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range matches {
			rel, _ := filepath.Rel(root, f)
			if rel != "docs/tyk-versions.md" {
				files = append(files, rel)
			}
		}
	}
	var found int
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			if os.IsNotExist(err) || strings.Contains(err.Error(), "is a directory") {
				continue
			}
			t.Fatal(err)
		}
		for n, line := range strings.Split(string(data), "\n") {
			if strings.Contains(line, "TYK_VERSION=v") && !strings.Contains(line, "TYK_VERSION="+tyk) {
				continue // an alternative version, shown as such
			}
			for _, re := range gateway {
				for _, mm := range re.FindAllStringSubmatch(line, -1) {
					found++
					if mm[1] != tyk {
						t.Errorf("%s:%d: gateway version %s in an example; the default (build.sh DEFAULT_TYK_VERSION) is %s", f, n+1, mm[1], tyk)
					}
				}
			}
			for _, re := range plugin {
				for _, mm := range re.FindAllStringSubmatch(line, -1) {
					found++
					if mm[1] != ours {
						t.Errorf("%s:%d: tyk-ldap-auth version %s in an example; CHANGELOG.md's newest release is %s", f, n+1, mm[1], ours)
					}
				}
			}
		}
	}
	if found < 10 {
		t.Fatalf("only %d versions found in examples: the scan is broken", found)
	}
}
