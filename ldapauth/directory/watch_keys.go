package directory

import (
	"strings"

	ldap "github.com/go-ldap/ldap/v3"
)

// Dependency keys name what a cached decision depended on, in one scheme
// shared by the decisions (DependencyKeys) and the changes a Watcher sees
// (Change.Keys): an entry by its normalised DN ("dn:") and by its stable
// unique ID ("id:", survives renames), a user by their folded username
// ("name:", what memberUid groups list).
const (
	keyDN   = "dn:"
	keyID   = "id:"
	keyName = "name:"
)

// DependencyKeys lists the keys a decision for id depends on: the user's
// entry, its username, and every group it was found in.
func DependencyKeys(id *Identity) []string {
	keys := make([]string, 0, 3+len(id.Groups))
	if id.DN != "" {
		keys = append(keys, keyDN+NormalizeDN(id.DN))
	}
	if id.ID != "" {
		keys = append(keys, keyID+id.ID)
	}
	if id.Username != "" {
		keys = append(keys, keyName+FoldValue(id.Username))
	}
	for _, g := range id.Groups {
		keys = append(keys, keyDN+NormalizeDN(g.DN))
	}
	return keys
}

// TrackedDN returns the DN a dependency key names, if it names one.
func TrackedDN(key string) (dn string, ok bool) {
	return strings.CutPrefix(key, keyDN)
}

// Change is one entry a Watcher saw change (added, modified, renamed or
// deleted).
type Change struct {
	DN string
	// ID is the entry's unique ID in Identity.ID form, when known.
	ID string
	// Members are the entry's member values when it is a group: the users
	// and groups a membership change may concern.
	Members []string
}

// Keys returns the dependency keys the change touches.
func (c Change) Keys() []string {
	keys := make([]string, 0, 2+len(c.Members))
	if c.DN != "" {
		keys = append(keys, keyDN+NormalizeDN(c.DN))
	}
	if c.ID != "" {
		keys = append(keys, keyID+c.ID)
	}
	for _, m := range c.Members {
		if strings.Contains(m, "=") {
			keys = append(keys, keyDN+NormalizeDN(m))
		} else {
			keys = append(keys, keyName+FoldValue(m))
		}
	}
	return keys
}

// memberAttributes are the group attributes whose values a change
// reports as Members.
var memberAttributes = []string{"member", "uniqueMember", "memberUid"}

// changeOf describes entry as a Change.
func changeOf(e *ldap.Entry) Change {
	c := Change{DN: e.DN}
	if id := uniqueID(e); !strings.HasPrefix(id, keyDN) {
		c.ID = id
	}
	for _, a := range memberAttributes {
		c.Members = append(c.Members, e.GetEqualFoldAttributeValues(a)...)
	}
	return c
}
