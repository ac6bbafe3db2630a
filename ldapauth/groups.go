package ldapauth

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	ldap "github.com/go-ldap/ldap/v3"
)

// Limits on group resolution, so a directory with a membership loop or a
// user in an absurd number of groups cannot make one login unbounded.
const (
	maxGroupDepth = 10   // levels of group-in-group followed
	maxGroups     = 1000 // groups kept per user
)

// Active Directory's LDAP_MATCHING_RULE_IN_CHAIN: one search returns every
// group the DN is a member of, directly or through nesting.
const (
	matchingRuleInChain       = "1.2.840.113556.1.4.1941"
	activeDirectoryCapability = "1.2.840.113556.1.4.800"
)

// nestedParentFilter finds groups that list a group as a member. It is fixed
// rather than derived from group_filter: memberUid holds user names, never
// group DNs, so only DN-valued member attributes can nest.
const nestedParentFilter = "(|(member={dn})(uniqueMember={dn}))"

var parentTemplate, _ = compileTemplate(nestedParentFilter, "dn")

// adDetection caches whether the directory is Active Directory: 0 unknown,
// 1 yes, 2 no. Only nested group search needs to know.
type adDetection struct{ state atomic.Int32 }

func (d *Directory) lookupGroups(ctx context.Context, c *ldap.Conn, entry *ldap.Entry, username string) ([]Group, error) {
	var groups groupSet
	var err error
	if d.cfg.GroupSource == GroupSourceMemberOf {
		err = d.groupsFromMemberOf(ctx, c, entry.GetEqualFoldAttributeValues("memberOf"), &groups)
	} else {
		err = d.groupsFromSearch(ctx, c, entry.DN, username, &groups)
	}
	return groups.list, err
}

// groupSet collects groups once each, in discovery order.
type groupSet struct {
	list []Group
	seen map[string]bool // normalized DN
}

func (s *groupSet) add(g Group) bool {
	key := normalizeDN(g.DN)
	if s.seen == nil {
		s.seen = make(map[string]bool)
	}
	if s.seen[key] || len(s.list) >= maxGroups {
		return false
	}
	s.seen[key] = true
	s.list = append(s.list, g)
	return true
}

// groupsFromMemberOf uses the memberOf values the directory maintains on the
// user's entry; with nested_groups it follows memberOf on each group entry.
func (d *Directory) groupsFromMemberOf(ctx context.Context, c *ldap.Conn, dns []string, groups *groupSet) error {
	frontier := dns
	for depth := 0; len(frontier) > 0; depth++ {
		var next []string
		for _, dn := range frontier {
			if !groups.add(Group{Name: firstRDNValue(dn), DN: dn}) || !d.cfg.NestedGroups {
				continue
			}
			if depth+1 >= maxGroupDepth {
				continue
			}
			parents, err := d.readMemberOf(ctx, c, dn)
			if err != nil {
				return err
			}
			next = append(next, parents...)
		}
		frontier = next
	}
	return nil
}

func (d *Directory) readMemberOf(ctx context.Context, c *ldap.Conn, dn string) ([]string, error) {
	d.setOpTimeout(ctx, c)
	req := ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, int(d.cfg.RequestTimeout/time.Second), false,
		"(objectClass=*)", []string{"memberOf"}, nil)
	res, err := c.Search(req)
	if err != nil {
		if isTransportError(err) {
			return nil, err
		}
		if resultCode(err) == ldap.LDAPResultNoSuchObject {
			return nil, nil // a dangling memberOf value: nothing to follow
		}
		return nil, searchFailure(dn, err)
	}
	if len(res.Entries) == 0 {
		return nil, nil
	}
	return res.Entries[0].GetEqualFoldAttributeValues("memberOf"), nil
}

// groupsFromSearch searches group_base_dn with group_filter. With
// nested_groups it uses Active Directory's in-chain matching rule when the
// server is AD (one query), and otherwise walks up group-of-group membership
// level by level.
func (d *Directory) groupsFromSearch(ctx context.Context, c *ldap.Conn, userDN, username string, groups *groupSet) error {
	if d.cfg.NestedGroups {
		isAD, err := d.isActiveDirectory(ctx, c)
		if err != nil {
			return err
		}
		if isAD {
			found, err := d.searchGroups(ctx, c, inChainFilter(userDN))
			for _, g := range found {
				groups.add(g)
			}
			return err
		}
	}
	filter := d.cfg.groupFilter.expand(ldap.EscapeFilter, map[string]string{"dn": userDN, "username": username})
	frontier, err := d.searchGroups(ctx, c, filter)
	if err != nil {
		return err
	}
	for depth := 0; len(frontier) > 0; depth++ {
		var next []Group
		for _, g := range frontier {
			if !groups.add(g) || !d.cfg.NestedGroups || depth+1 >= maxGroupDepth {
				continue
			}
			parents, err := d.searchGroups(ctx, c, parentTemplate.expand(ldap.EscapeFilter, map[string]string{"dn": g.DN}))
			if err != nil {
				return err
			}
			next = append(next, parents...)
		}
		frontier = next
	}
	return nil
}

// inChainFilter asks Active Directory for every group userDN belongs to,
// directly or through nesting, in one search.
func inChainFilter(userDN string) string {
	return "(member:" + matchingRuleInChain + ":=" + ldap.EscapeFilter(userDN) + ")"
}

func (d *Directory) searchGroups(ctx context.Context, c *ldap.Conn, filter string) ([]Group, error) {
	d.setOpTimeout(ctx, c)
	req := ldap.NewSearchRequest(d.cfg.GroupBaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, maxGroups,
		int(d.cfg.RequestTimeout/time.Second), false, filter, []string{d.cfg.GroupNameAttribute}, nil)
	res, err := c.Search(req)
	if err != nil && !(resultCode(err) == ldap.LDAPResultSizeLimitExceeded && res != nil) {
		if isTransportError(err) {
			return nil, err
		}
		return nil, searchFailure(d.cfg.GroupBaseDN, err)
	}
	if err != nil {
		d.log.Warnf("more than %d groups match %s; using the first %d", maxGroups, filter, maxGroups)
	}
	out := make([]Group, 0, len(res.Entries))
	for _, e := range res.Entries {
		name := e.GetEqualFoldAttributeValue(d.cfg.GroupNameAttribute)
		if name == "" {
			name = firstRDNValue(e.DN)
		}
		out = append(out, Group{Name: name, DN: e.DN})
	}
	return out, nil
}

// isActiveDirectory asks the root DSE once whether the server advertises
// the Active Directory capability.
func (d *Directory) isActiveDirectory(ctx context.Context, c *ldap.Conn) (bool, error) {
	switch d.ad.state.Load() {
	case 1:
		return true, nil
	case 2:
		return false, nil
	}
	d.setOpTimeout(ctx, c)
	req := ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, int(d.cfg.RequestTimeout/time.Second), false,
		"(objectClass=*)", []string{"supportedCapabilities"}, nil)
	res, err := c.Search(req)
	if err != nil {
		if isTransportError(err) {
			return false, err
		}
		// A server that hides its root DSE is not AD (AD always shows it).
		d.ad.state.Store(2)
		return false, nil
	}
	isAD := false
	if len(res.Entries) == 1 {
		for _, capability := range res.Entries[0].GetEqualFoldAttributeValues("supportedCapabilities") {
			if strings.TrimSpace(capability) == activeDirectoryCapability {
				isAD = true
			}
		}
	}
	if isAD {
		d.ad.state.Store(1)
	} else {
		d.ad.state.Store(2)
	}
	return isAD, nil
}
