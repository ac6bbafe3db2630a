package directory

import (
	"encoding/hex"
	"strconv"
	"strings"

	ldap "github.com/go-ldap/ldap/v3"
)

// Identity is who the directory says the user is.
type Identity struct {
	// Username is the canonical username: the single value of the username
	// attribute on the user's entry, whatever case or spacing was typed.
	Username string
	// DN is the user's entry as the directory names it.
	DN string
	// ID identifies the entry uniquely and stably: "entryUUID:<uuid>"
	// (OpenLDAP and others), "objectGUID:<hex>" (Active Directory), or
	// "dn:<normalised DN>" when the directory exposes neither.
	ID string
	// Attributes holds the extra attributes read from the entry, keyed by
	// the attribute names as configured.
	Attributes map[string][]string
	// Groups the user belongs to, when group lookup is configured.
	Groups []Group
	// Server is the URL of the directory server that answered.
	Server string
}

// Group is one group the user is a member of.
type Group struct {
	Name string // the group's name attribute, e.g. "developers"
	DN   string
}

// GroupNames returns the names of the user's groups in discovery order.
func (id *Identity) GroupNames() []string {
	names := make([]string, len(id.Groups))
	for i, g := range id.Groups {
		names[i] = g.Name
	}
	return names
}

// Attributes every user lookup reads besides the configured ones: the
// stable unique IDs of OpenLDAP and Active Directory. Asking a server for an
// attribute it does not have is harmless.
const (
	attrEntryUUID  = "entryUUID"
	attrObjectGUID = "objectGUID"
	attrMemberOf   = "memberOf"
)

// identityFrom reads the identity off the entry. The canonical username
// must be single-valued: with two values, which one is "the user" would be
// whatever the server lists first, and anyone able to add a value to their
// own entry could take another user's name.
func (d *Directory) identityFrom(entry *ldap.Entry) (*Identity, error) {
	names := entry.GetEqualFoldAttributeValues(d.opts.UsernameAttribute)
	switch {
	case len(names) == 0 || names[0] == "":
		return nil, misconfigured("the entry "+entry.DN+" has no "+d.opts.UsernameAttribute+" attribute (check username_attribute)", nil)
	case len(names) > 1:
		return nil, misconfigured("the entry "+entry.DN+" has "+strconv.Itoa(len(names))+" values of "+d.opts.UsernameAttribute+
			"; username_attribute must name an attribute with exactly one value, or the user cannot be identified", nil)
	}
	id := &Identity{Username: names[0], DN: entry.DN, ID: uniqueID(entry)}
	for _, a := range d.opts.Attributes {
		if values := entry.GetEqualFoldAttributeValues(a); len(values) > 0 {
			if id.Attributes == nil {
				id.Attributes = make(map[string][]string)
			}
			id.Attributes[a] = values
		}
	}
	return id, nil
}

// uniqueID prefers the directory's own immutable IDs, which survive renames,
// over the DN.
func uniqueID(entry *ldap.Entry) string {
	if v := entry.GetEqualFoldAttributeValues(attrEntryUUID); len(v) == 1 && v[0] != "" {
		return "entryUUID:" + strings.ToLower(v[0])
	}
	if v := entry.GetEqualFoldRawAttributeValues(attrObjectGUID); len(v) == 1 && len(v[0]) == 16 {
		return "objectGUID:" + hex.EncodeToString(v[0])
	}
	return "dn:" + NormalizeDN(entry.DN)
}

// userAttributes lists every attribute any feature reads from the entry.
func userAttributes(o *Options) []string {
	attrs := []string{o.UsernameAttribute, attrEntryUUID, attrObjectGUID}
	add := func(a string) {
		for _, have := range attrs {
			if strings.EqualFold(have, a) {
				return
			}
		}
		attrs = append(attrs, a)
	}
	for _, a := range o.Attributes {
		add(a)
	}
	if o.Groups.Source == GroupsFromMemberOf {
		add(attrMemberOf)
	}
	return attrs
}
