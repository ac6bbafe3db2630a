package ldapauth

import (
	"sort"
	"strings"
)

// accessRules decides whether an authenticated user may use the API:
// allowed if listed in allowed_users or a member of any required group. With
// neither key set every authenticated user is allowed.
type accessRules struct {
	users      map[string]bool // lower-cased canonical usernames
	groupNames map[string]bool // lower-cased group names
	groupDNs   map[string]bool // normalized DNs
}

func newAccessRules(cfg *Config) accessRules {
	r := accessRules{users: map[string]bool{}, groupNames: map[string]bool{}, groupDNs: map[string]bool{}}
	for _, u := range cfg.AllowedUsers {
		r.users[strings.ToLower(u)] = true
	}
	for _, g := range cfg.RequiredGroups {
		if isDNRef(g) {
			r.groupDNs[normalizeDN(g)] = true
		} else {
			r.groupNames[strings.ToLower(g)] = true
		}
	}
	return r
}

func (r accessRules) active() bool {
	return len(r.users)+len(r.groupNames)+len(r.groupDNs) > 0
}

func (r accessRules) allows(id *Identity) bool {
	if !r.active() || r.users[strings.ToLower(id.Username)] {
		return true
	}
	for _, g := range id.Groups {
		if inGroup(g, r.groupNames, r.groupDNs) {
			return true
		}
	}
	return false
}

// isDNRef tells a full DN ("cn=admins,ou=groups,...") from a group name.
func isDNRef(ref string) bool { return strings.Contains(ref, "=") }

func inGroup(g Group, names, dns map[string]bool) bool {
	return names[strings.ToLower(g.Name)] || dns[normalizeDN(g.DN)]
}

// policyMapper turns group membership into Tyk policy IDs.
type policyMapper struct {
	base   []string
	groups []groupPolicies // sorted by reference, for a stable order
}

type groupPolicies struct {
	names, dns map[string]bool // one of them holds the reference
	policies   []string
}

func newPolicyMapper(cfg *Config) policyMapper {
	m := policyMapper{base: dedupe(cfg.Policies)}
	refs := make([]string, 0, len(cfg.GroupPolicies))
	for ref := range cfg.GroupPolicies {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	for _, ref := range refs {
		gp := groupPolicies{names: map[string]bool{}, dns: map[string]bool{}, policies: cfg.GroupPolicies[ref]}
		if isDNRef(ref) {
			gp.dns[normalizeDN(ref)] = true
		} else {
			gp.names[strings.ToLower(ref)] = true
		}
		m.groups = append(m.groups, gp)
	}
	return m
}

// policiesFor returns "policies" followed by the policies of each matching
// group_policies entry (in sorted key order), without duplicates.
func (m policyMapper) policiesFor(id *Identity) []string {
	out := append([]string(nil), m.base...)
	for _, gp := range m.groups {
		for _, g := range id.Groups {
			if inGroup(g, gp.names, gp.dns) {
				out = append(out, gp.policies...)
				break
			}
		}
	}
	return dedupe(out)
}

func dedupe(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	seen := make(map[string]bool, len(list))
	out := list[:0:0]
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
