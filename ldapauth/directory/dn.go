package directory

import (
	"slices"
	"strings"

	ldap "github.com/go-ldap/ldap/v3"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// NormalizeDN returns a comparison key for a DN: attribute types lower-cased
// and every value folded the way directories compare names (FoldValue), so
// "CN=Admins, OU=Groups,DC=Example,DC=Org" and
// "cn=admins,ou=groups,dc=example,dc=org" give the same key. Text that does
// not parse as a DN is folded as a whole.
func NormalizeDN(dn string) string {
	rdns, ok := normalizedRDNs(dn)
	if !ok {
		return FoldValue(dn)
	}
	return strings.Join(rdns, ",")
}

// normalizedRDNs returns the normalised RDNs of dn, leaf first, or false
// when dn does not parse.
func normalizedRDNs(dn string) ([]string, bool) {
	parsed, err := ldap.ParseDN(dn)
	if err != nil {
		return nil, false
	}
	rdns := make([]string, len(parsed.RDNs))
	for i, rdn := range parsed.RDNs {
		parts := make([]string, len(rdn.Attributes))
		for j, a := range rdn.Attributes {
			parts[j] = strings.ToLower(a.Type) + "=" + ldap.EscapeDN(FoldValue(a.Value))
		}
		rdns[i] = strings.Join(parts, "+")
	}
	return rdns, true
}

// IsUnder reports whether dn is base or below it. RDNs are compared whole:
// an escaped comma inside a value ("cn=x\,ou=groups,dc=example,dc=org",
// an entry directly under dc=example,dc=org) is not an RDN boundary, so
// such an entry is not under ou=groups. Every DN is under the empty base
// (the root). Text that does not parse is under nothing but itself.
func IsUnder(dn, base string) bool {
	d, dOK := normalizedRDNs(dn)
	b, bOK := normalizedRDNs(base)
	if !dOK || !bOK {
		return NormalizeDN(dn) == NormalizeDN(base)
	}
	return len(d) >= len(b) && slices.Equal(d[len(d)-len(b):], b)
}

// FoldValue folds a name the way LDAP's case-ignore matching compares it
// (RFC 4518 string preparation, approximately): compatibility normalisation,
// case folding, and leading, trailing and repeated spaces removed. "Alice",
// " alice" and "ALICE" fold to the same value.
func FoldValue(s string) string {
	if folded, ok := foldASCII(s); ok {
		return folded
	}
	folded := cases.Fold().String(norm.NFKC.String(s))
	return strings.Join(strings.Fields(folded), " ")
}

// foldASCII is FoldValue for text that is all ASCII, where NFKC changes
// nothing and case folding is lower-casing: one pass, one allocation. It
// reports false for anything else.
func foldASCII(s string) (string, bool) {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80:
			return "", false
		case c == ' ' || ('\t' <= c && c <= '\r'):
			space = b.Len() > 0
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteByte(c)
	}
	return b.String(), true
}

// FirstRDNValue returns "developers" for "cn=developers,ou=groups,...".
func FirstRDNValue(dn string) string {
	parsed, err := ldap.ParseDN(dn)
	if err != nil || len(parsed.RDNs) == 0 || len(parsed.RDNs[0].Attributes) == 0 {
		return dn
	}
	return parsed.RDNs[0].Attributes[0].Value
}
