package directory

import (
	"go.opentelemetry.io/otel/attribute"

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

// nestedParentFilter finds groups that list a group as a member. It is
// fixed rather than derived from the group filter: memberUid holds user
// names, never group DNs, so only DN-valued member attributes can nest.
const nestedParentFilter = "(|(member={dn})(uniqueMember={dn}))"

var parentTemplate, _ = CompileTemplate(nestedParentFilter, "dn")

// adDetection caches whether the directory is Active Directory: 0 unknown,
// 1 yes, 2 no.
type adDetection struct{ state atomic.Int32 }

func (d *Directory) lookupGroups(ctx context.Context, c *ldap.Conn, entry *ldap.Entry, username string) ([]Group, error) {
	start := time.Now()
	ctx, span := startOp(ctx, OpGroups, srvOf(ctx))
	var groups groupSet
	var err error
	if d.opts.Groups.Source == GroupsFromMemberOf {
		err = d.groupsFromMemberOf(ctx, c, entry.GetEqualFoldAttributeValues(attrMemberOf), &groups)
	} else {
		err = d.groupsFromSearch(ctx, c, entry.DN, username, &groups)
	}
	span.end(ctx, err, attribute.Int("ldap.groups.count", len(groups.list)))
	traceFrom(ctx).step(Step{Name: StepGroups, Detail: entry.DN, Entries: groupDNs(groups.list), Err: err, Took: time.Since(start)})
	return groups.list, err
}

func groupDNs(groups []Group) []string {
	out := make([]string, len(groups))
	for i, g := range groups {
		out[i] = g.DN
	}
	return out
}

// groupSet collects groups once each, in discovery order.
type groupSet struct {
	list []Group
	seen map[string]bool // normalised DN
}

func (s *groupSet) add(g Group) bool {
	key := NormalizeDN(g.DN)
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

// inScope reports whether a group counts: with a group base DN, only groups
// under it do, so a same-named group elsewhere in the directory (made by
// whoever may create entries there) cannot satisfy a rule.
func (d *Directory) inScope(dn string) bool {
	return d.opts.Groups.BaseDN == "" || IsUnder(dn, d.opts.Groups.BaseDN)
}

// groupsFromMemberOf uses the memberOf values the directory maintains on
// the user's entry; with nesting it follows memberOf on each group entry.
func (d *Directory) groupsFromMemberOf(ctx context.Context, c *ldap.Conn, dns []string, groups *groupSet) error {
	frontier := dns
	for depth := 0; len(frontier) > 0; depth++ {
		var next []string
		for _, dn := range frontier {
			if !d.inScope(dn) || !groups.add(Group{Name: FirstRDNValue(dn), DN: dn}) || !d.opts.Groups.Nested || depth+1 >= maxGroupDepth {
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
	entries, err := d.search(ctx, c, dn, ldap.ScopeBaseObject, "(objectClass=*)", 1, []string{attrMemberOf})
	if err != nil {
		if KindOf(err) == KindMisconfigured && resultCode(err) == ldap.LDAPResultNoSuchObject {
			return nil, nil // a dangling memberOf value: nothing to follow
		}
		return nil, err
	}
	if len(entries) == 0 {
		return nil, nil
	}
	return entries[0].GetEqualFoldAttributeValues(attrMemberOf), nil
}

// groupsFromSearch searches the group base with the group filter. With
// nesting it uses Active Directory's in-chain matching rule when the server
// is AD (one query), and otherwise walks up group-of-group membership level
// by level.
func (d *Directory) groupsFromSearch(ctx context.Context, c *ldap.Conn, userDN, username string, groups *groupSet) error {
	if d.opts.Groups.Nested {
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
	filter := d.opts.Groups.Filter.Expand(ldap.EscapeFilter, map[string]string{"dn": userDN, "username": username})
	frontier, err := d.searchGroups(ctx, c, filter)
	if err != nil {
		return err
	}
	for depth := 0; len(frontier) > 0; depth++ {
		var next []Group
		for _, g := range frontier {
			if !groups.add(g) || !d.opts.Groups.Nested || depth+1 >= maxGroupDepth {
				continue
			}
			parents, err := d.searchGroups(ctx, c, parentTemplate.Expand(ldap.EscapeFilter, map[string]string{"dn": g.DN}))
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
	entries, err := d.search(ctx, c, d.opts.Groups.BaseDN, ldap.ScopeWholeSubtree, filter, maxGroups, []string{d.opts.Groups.NameAttribute})
	if err != nil {
		return nil, err
	}
	if len(entries) >= maxGroups {
		d.log.Warn("too many groups match; using the first ones", "limit", maxGroups, "filter", filter)
	}
	out := make([]Group, 0, len(entries))
	for _, e := range entries {
		name := e.GetEqualFoldAttributeValue(d.opts.Groups.NameAttribute)
		if name == "" {
			name = FirstRDNValue(e.DN)
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
	entries, err := d.search(ctx, c, "", ldap.ScopeBaseObject, "(objectClass=*)", 1, []string{"supportedCapabilities"})
	if err != nil {
		if isTransport(err) {
			return false, err
		}
		// A server that hides its root DSE is not AD (AD always shows it).
		d.ad.state.Store(2)
		return false, nil
	}
	isAD := false
	if len(entries) == 1 {
		for _, capability := range entries[0].GetEqualFoldAttributeValues("supportedCapabilities") {
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
