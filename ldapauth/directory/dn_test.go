package directory

import (
	"strings"
	"testing"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

func TestNormalizeDN(t *testing.T) {
	same := [][2]string{
		{"cn=Admins,ou=Groups,dc=Example,dc=org", "CN=admins, OU=groups, DC=example, DC=ORG"},
		{`cn=Smith\, John,ou=people,dc=org`, `CN=smith\2C john,OU=People,DC=Org`},
		{`cn=Smith\, John,ou=people,dc=org`, `cn=Smith\2c John,ou=people,dc=org`},
		{"uid=alice,dc=org", `uid=\ alice ,dc=org`},
		{"uid=a  b,dc=org", "uid=a b,dc=org"},
		{"uid=ALICE,dc=org", "uid=ＡＬＩＣＥ,dc=org"},
		{"cn=Straße,dc=org", "cn=STRASSE,dc=org"},
	}
	for _, p := range same {
		if a, b := NormalizeDN(p[0]), NormalizeDN(p[1]); a != b {
			t.Errorf("NormalizeDN(%q) = %q != NormalizeDN(%q) = %q", p[0], a, p[1], b)
		}
	}
	different := [][2]string{
		{"cn=a,dc=org", "cn=b,dc=org"},
		{`cn=a\,ou=groups,dc=org`, "cn=a,ou=groups,dc=org"},
		{`cn=a\+uid=b,dc=org`, "cn=a+uid=b,dc=org"},
		{"uid=a,ou=people,dc=org", "cn=a,ou=people,dc=org"},
		{"cn=a,dc=org", "cn=a,dc=org,dc=com"},
	}
	for _, p := range different {
		if a, b := NormalizeDN(p[0]), NormalizeDN(p[1]); a == b {
			t.Errorf("%q and %q normalise to the same %q", p[0], p[1], a)
		}
	}
	// Text that is not a DN is folded as a whole, so it still compares
	// case-insensitively with itself.
	if got, want := NormalizeDN("Not A DN"), "not a dn"; got != want {
		t.Errorf("NormalizeDN of a non-DN = %q, want %q", got, want)
	}
	if got, want := NormalizeDN("CN=Alice Archer, OU=People,DC=Example,DC=Org"), "cn=alice archer,ou=people,dc=example,dc=org"; got != want {
		t.Errorf("NormalizeDN = %q, want %q", got, want)
	}
}

func TestIsUnder(t *testing.T) {
	const groups = "ou=groups,dc=example,dc=org"
	tests := []struct {
		dn, base string
		want     bool
	}{
		{"cn=admins,ou=groups,dc=example,dc=org", groups, true},
		{"CN=Admins, OU=Groups, DC=Example, DC=Org", groups, true},
		{"cn=a,cn=nested,ou=groups,dc=example,dc=org", groups, true},
		{groups, groups, true},
		{"OU=GROUPS,DC=EXAMPLE,DC=ORG", groups, true},
		{"cn=admins,ou=partners,dc=example,dc=org", groups, false},
		{"cn=admins,ou=evilgroups,dc=example,dc=org", groups, false},
		{"dc=example,dc=org", groups, false},
		{"cn=admins,ou=groups,dc=example,dc=org,dc=com", groups, false},
		// An escaped comma is part of a value, not an RDN boundary: this
		// entry sits directly under dc=example,dc=org, and whoever may
		// create entries there must not be able to pose as a group under
		// ou=groups.
		{`cn=admins\,ou=groups,dc=example,dc=org`, groups, false},
		{`cn=admins\2Cou=groups,dc=example,dc=org`, groups, false},
		{`cn=x\,ou=groups,dc=example,dc=org`, "dc=example,dc=org", true},
		// A multi-valued RDN is one RDN.
		{"cn=a+ou=groups,dc=example,dc=org", groups, false},
		{"not a dn", groups, false},
		{"Not A DN", "not a dn", true},
		{"cn=a,dc=org", "", true},
	}
	for _, tt := range tests {
		if got := IsUnder(tt.dn, tt.base); got != tt.want {
			t.Errorf("IsUnder(%q, %q) = %v, want %v", tt.dn, tt.base, got, tt.want)
		}
	}
}

func TestFoldValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Alice", "alice"},
		{" alice ", "alice"},
		{"a  b\tc", "a b c"},
		{"ＡＬＩＣＥ", "alice"}, // full-width (compatibility normalisation)
		{"ﬁle", "file"},    // ligature
		{"Straße", "strasse"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := FoldValue(tt.in); got != tt.want {
			t.Errorf("FoldValue(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFirstRDNValue(t *testing.T) {
	tests := []struct{ dn, want string }{
		{"cn=developers,ou=groups,dc=example,dc=org", "developers"},
		{`cn=Smith\, John,ou=people,dc=org`, "Smith, John"},
		{`CN=Domain Admins,CN=Users,DC=corp`, "Domain Admins"},
		{"cn=a+uid=b,dc=org", "a"},
		{"not a dn", "not a dn"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := FirstRDNValue(tt.dn); got != tt.want {
			t.Errorf("FirstRDNValue(%q) = %q, want %q", tt.dn, got, tt.want)
		}
	}
}

// The ASCII shortcut of FoldValue folds exactly as the full Unicode path.
func TestFoldASCIIMatchesTheFullFold(t *testing.T) {
	inputs := []string{"", " ", "Alice", "  ALICE  ", "a\tb\nc\rd\ve\ff", "O'Brien, JOHN", "x  y   z", "~!@#$%^&*()_+{}|:<>?", "\x00\x01\x7f"}
	for c := 0; c < 0x80; c++ {
		inputs = append(inputs, "a"+string(rune(c))+"B")
	}
	for _, in := range inputs {
		fast, ok := foldASCII(in)
		if !ok {
			t.Fatalf("foldASCII refused the ASCII input %q", in)
		}
		full := strings.Join(strings.Fields(cases.Fold().String(norm.NFKC.String(in))), " ")
		if fast != full {
			t.Errorf("foldASCII(%q) = %q, the full fold gives %q", in, fast, full)
		}
	}
	if _, ok := foldASCII("jürgen"); ok {
		t.Fatal("foldASCII took a non-ASCII input")
	}
}
