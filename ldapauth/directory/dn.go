package directory

import (
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
	parsed, err := ldap.ParseDN(dn)
	if err != nil {
		return FoldValue(dn)
	}
	rdns := make([]string, len(parsed.RDNs))
	for i, rdn := range parsed.RDNs {
		parts := make([]string, len(rdn.Attributes))
		for j, a := range rdn.Attributes {
			parts[j] = strings.ToLower(a.Type) + "=" + ldap.EscapeDN(FoldValue(a.Value))
		}
		rdns[i] = strings.Join(parts, "+")
	}
	return strings.Join(rdns, ",")
}

// IsUnder reports whether dn is base or below it.
func IsUnder(dn, base string) bool {
	d, b := NormalizeDN(dn), NormalizeDN(base)
	return d == b || strings.HasSuffix(d, ","+b)
}

// FoldValue folds a name the way LDAP's case-ignore matching compares it
// (RFC 4518 string preparation, approximately): compatibility normalisation,
// case folding, and leading, trailing and repeated spaces removed. "Alice",
// " alice" and "ALICE" fold to the same value.
func FoldValue(s string) string {
	folded := cases.Fold().String(norm.NFKC.String(s))
	return strings.Join(strings.Fields(folded), " ")
}

// FirstRDNValue returns "developers" for "cn=developers,ou=groups,...".
func FirstRDNValue(dn string) string {
	parsed, err := ldap.ParseDN(dn)
	if err != nil || len(parsed.RDNs) == 0 || len(parsed.RDNs[0].Attributes) == 0 {
		return dn
	}
	return parsed.RDNs[0].Attributes[0].Value
}
