package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
)

// describeAccess explains the gate's access decision (allowed) for id: which
// rule let the user in, or what the user lacks. The decision itself is the
// gate's; this only names the rule, matching names and DNs the way the
// plugin does (case-folded names, normalised DNs).
func describeAccess(cfg *ldapauth.Config, id *directory.Identity, allowed bool) *Access {
	a := &Access{
		RequiredGroups: append([]string{}, cfg.RequiredGroups...),
		AllowedUsers:   append([]string{}, cfg.AllowedUsers...),
		Allowed:        allowed,
	}
	if len(a.RequiredGroups) == 0 && len(a.AllowedUsers) == 0 {
		a.Because = "no required_groups or allowed_users: every authenticated user is allowed"
		return a
	}
	listed := slices.ContainsFunc(cfg.AllowedUsers, func(u string) bool { return directory.FoldValue(u) == directory.FoldValue(id.Username) })
	if allowed {
		switch group, ok := matchingGroup(cfg.RequiredGroups, id.Groups); {
		case listed:
			a.Because = id.Username + " is listed in allowed_users"
		case ok:
			a.Because = fmt.Sprintf("%s is a member of %s (%s), one of required_groups", id.Username, group.Name, group.DN)
		default:
			a.Because = "the access rules allow " + id.Username
		}
		return a
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s is not in any of required_groups [%s]", id.Username, strings.Join(cfg.RequiredGroups, ", "))
	if len(cfg.AllowedUsers) > 0 {
		b.WriteString(" nor listed in allowed_users")
	}
	if len(id.Groups) == 0 {
		b.WriteString("; they are in no group")
		if cfg.Directory.Groups.BaseDN != "" {
			b.WriteString(" under group_base_dn " + cfg.Directory.Groups.BaseDN)
		}
		if cfg.Directory.Groups.Source == directory.GroupsFromMemberOf {
			b.WriteString(" (their entry has no memberOf values: if the directory does not maintain memberOf, set group_source \"search\" and group_base_dn)")
		}
	} else {
		b.WriteString("; their groups: " + strings.Join(id.GroupNames(), ", "))
	}
	b.WriteString(": add them to one of those groups, or list them in allowed_users")
	a.Because = b.String()
	return a
}

// matchingGroup returns the first of the user's groups a reference names:
// a DN reference matches the group's DN, a bare name its name.
func matchingGroup(refs []string, groups []directory.Group) (directory.Group, bool) {
	for _, g := range groups {
		for _, ref := range refs {
			if strings.Contains(ref, "=") {
				if directory.NormalizeDN(ref) == directory.NormalizeDN(g.DN) {
					return g, true
				}
			} else if directory.FoldValue(ref) == directory.FoldValue(g.Name) {
				return g, true
			}
		}
	}
	return directory.Group{}, false
}
