package ldapauth

import (
	"maps"
	"slices"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
)

// accessRules decides whether an authenticated user may use the API:
// allowed if listed in allowed_users or a member of any required group. With
// neither key set every authenticated user is allowed. Groups have already
// been confined to group_base_dn by the directory, so a bare name only ever
// matches a group under it.
type accessRules struct {
	users  map[string]bool // folded canonical usernames
	groups groupMatcher
}

func newAccessRules(cfg *Config) accessRules {
	r := accessRules{users: map[string]bool{}, groups: newGroupMatcher(cfg.RequiredGroups)}
	for _, u := range cfg.AllowedUsers {
		r.users[directory.FoldValue(u)] = true
	}
	return r
}

func (r accessRules) active() bool { return len(r.users) > 0 || !r.groups.empty() }

func (r accessRules) allows(id *directory.Identity) bool {
	return !r.active() || r.users[directory.FoldValue(id.Username)] || r.groups.matchesAny(id.Groups)
}

// groupMatcher matches groups by name or by normalised DN.
type groupMatcher struct {
	names map[string]bool // folded group names
	dns   map[string]bool // normalised DNs
}

func newGroupMatcher(refs []string) groupMatcher {
	m := groupMatcher{names: map[string]bool{}, dns: map[string]bool{}}
	for _, ref := range refs {
		if isDNRef(ref) {
			m.dns[directory.NormalizeDN(ref)] = true
		} else {
			m.names[directory.FoldValue(ref)] = true
		}
	}
	return m
}

func (m groupMatcher) empty() bool { return len(m.names)+len(m.dns) == 0 }

func (m groupMatcher) matches(g directory.Group) bool {
	return m.names[directory.FoldValue(g.Name)] || m.dns[directory.NormalizeDN(g.DN)]
}

func (m groupMatcher) matchesAny(groups []directory.Group) bool {
	return slices.ContainsFunc(groups, m.matches)
}

// policyMapper turns group membership into Tyk policy IDs.
type policyMapper struct {
	base   []string
	groups []groupPolicies // sorted by reference, for a stable order
}

type groupPolicies struct {
	match    groupMatcher
	policies []string
}

func newPolicyMapper(cfg *Config) policyMapper {
	m := policyMapper{base: dedupe(cfg.Policies)}
	for _, ref := range slices.Sorted(maps.Keys(cfg.GroupPolicies)) {
		m.groups = append(m.groups, groupPolicies{match: newGroupMatcher([]string{ref}), policies: cfg.GroupPolicies[ref]})
	}
	return m
}

// policiesFor returns "policies" followed by the policies of each matching
// group_policies entry (in sorted key order), without duplicates.
func (m policyMapper) policiesFor(id *directory.Identity) []string {
	out := slices.Clone(m.base)
	for _, gp := range m.groups {
		if gp.match.matchesAny(id.Groups) {
			out = append(out, gp.policies...)
		}
	}
	return dedupe(out)
}

// dedupe keeps the first occurrence of each value, in order.
func dedupe(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	seen := make(map[string]bool, len(list))
	return slices.DeleteFunc(slices.Clone(list), func(s string) bool {
		if seen[s] {
			return true
		}
		seen[s] = true
		return false
	})
}
