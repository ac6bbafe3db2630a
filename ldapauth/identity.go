package ldapauth

import (
	"strings"

	ldap "github.com/go-ldap/ldap/v3"
)

// Identity is who the directory says the user is.
type Identity struct {
	// Username is the canonical username: the value of username_attribute
	// on the user's entry, whatever case or spacing the client typed.
	Username string
	// DN is the user's entry as the directory names it.
	DN string
	// Attributes holds the extra attributes read from the entry, keyed by
	// the attribute names as configured.
	Attributes map[string][]string
	// Groups the user belongs to, when group lookup is configured.
	Groups []Group
}

// Group is one group the user is a member of.
type Group struct {
	Name string // the group_name_attribute value, e.g. "developers"
	DN   string
}

// Attribute returns the first value of a requested attribute, or "".
func (id *Identity) Attribute(name string) string {
	if v := id.Attributes[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// GroupNames returns the names of the user's groups in directory order.
func (id *Identity) GroupNames() []string {
	names := make([]string, len(id.Groups))
	for i, g := range id.Groups {
		names[i] = g.Name
	}
	return names
}

// normalizeDN returns a comparison key for a DN: attribute types and values
// case-folded and re-encoded, so "CN=Admins, OU=Groups,DC=Example,DC=Org"
// and "cn=admins,ou=groups,dc=example,dc=org" compare equal. Invalid DNs are
// compared as lower-cased text.
func normalizeDN(dn string) string {
	parsed, err := ldap.ParseDN(dn)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(dn))
	}
	rdns := make([]string, len(parsed.RDNs))
	for i, rdn := range parsed.RDNs {
		parts := make([]string, len(rdn.Attributes))
		for j, a := range rdn.Attributes {
			parts[j] = strings.ToLower(a.Type) + "=" + strings.ToLower(ldap.EscapeDN(a.Value))
		}
		rdns[i] = strings.Join(parts, "+")
	}
	return strings.Join(rdns, ",")
}

// firstRDNValue returns "developers" for "cn=developers,ou=groups,...".
func firstRDNValue(dn string) string {
	parsed, err := ldap.ParseDN(dn)
	if err != nil || len(parsed.RDNs) == 0 || len(parsed.RDNs[0].Attributes) == 0 {
		return dn
	}
	return parsed.RDNs[0].Attributes[0].Value
}
