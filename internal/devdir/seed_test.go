package devdir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

func TestWithoutEntries(t *testing.T) {
	const ldif = `# header comment, a paragraph of its own

# the test user
dn: uid=test,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: test

dn: uid=alice,ou=people,dc=example,dc=org
uid: alice
`
	tests := []struct {
		name    string
		drop    []string
		want    []string // substrings that must remain
		dropped []string // substrings that must be gone
		wantErr bool
	}{
		{"drops the record and its comment", []string{"uid=test,ou=people,dc=example,dc=org"},
			[]string{"# header comment", "uid=alice"}, []string{"uid: test", "# the test user"}, false},
		{"compares as DNs, not as text", []string{"UID=Test, OU=people, dc=example, dc=org"},
			[]string{"uid=alice"}, []string{"uid: test"}, false},
		{"keeps everything when nothing matches", []string{"uid=nobody,ou=people,dc=example,dc=org"},
			[]string{"uid: test", "uid: alice", "# header comment"}, nil, false},
		{"a DN that does not parse", []string{"not a dn"}, nil, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := withoutEntries(ldif, tc.drop)
			if tc.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.want {
				if !strings.Contains(got, s) {
					t.Errorf("%q is gone:\n%s", s, got)
				}
			}
			for _, s := range tc.dropped {
				if strings.Contains(got, s) {
					t.Errorf("%q is still there:\n%s", s, got)
				}
			}
		})
	}
}

// TestTutorialData against the real sample directory: exactly the
// tutorial's two entries are left out, and slapd loads the rest.
func TestTutorialData(t *testing.T) {
	src, err := slapdtest.DefaultDataDir()
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "ldif")
	if err := writeTutorialData(src, dst); err != nil {
		t.Fatal(err)
	}
	before, after := countRecords(t, src), countRecords(t, dst)
	if before-after != 2 {
		t.Fatalf("%d records before, %d after: want exactly the tutorial's 2 left out", before, after)
	}
	s := slapdtest.StartT(t, slapdtest.WithDataDir(dst))
	c, err := s.AdminConn()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, dn := range tutorialEntries() {
		if _, err := c.Search(baseSearch(dn)); err == nil {
			t.Errorf("%s exists in the tutorial directory", dn)
		}
	}
	for _, u := range slapdtest.SampleUsers() {
		if u.Key == TutorialUserKey {
			continue
		}
		if _, err := c.Search(baseSearch(u.DN)); err != nil {
			t.Errorf("sample user %s missing: %v", u.DN, err)
		}
	}
}

func countRecords(t *testing.T, dir string) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.ldif"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no LDIF files in %s (%v)", dir, err)
	}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paragraphs(string(b)) {
			if _, ok := recordDN(p); ok {
				n++
			}
		}
	}
	return n
}

func baseSearch(dn string) *ldap.SearchRequest {
	return ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false, "(objectClass=*)", []string{"dn"}, nil)
}
