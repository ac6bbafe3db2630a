package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	ldap "github.com/go-ldap/ldap/v3"
)

// errNoEntry marks "no entry matched": an unknown user.
var errNoEntry = errors.New("no matching entry")

// findUser runs the user search and insists on exactly one entry: zero
// means no such user; two or more mean the filter is ambiguous, and binding
// as "the first one" would let the wrong account in.
func (d *Directory) findUser(ctx context.Context, c *ldap.Conn, username string) (*ldap.Entry, error) {
	filter := d.opts.SearchFilter.Expand(ldap.EscapeFilter, map[string]string{"username": username})
	scope := ldap.ScopeWholeSubtree
	if d.opts.SearchScope == ScopeOneLevel {
		scope = ldap.ScopeSingleLevel
	}
	return d.searchOne(ctx, c, d.opts.SearchBaseDN, scope, filter)
}

// searchOne searches and returns the only entry found.
func (d *Directory) searchOne(ctx context.Context, c *ldap.Conn, base string, scope int, filter string) (*ldap.Entry, error) {
	entries, err := d.search(ctx, c, base, scope, filter, 2, d.userAttrs)
	if err != nil {
		return nil, err
	}
	switch len(entries) {
	case 0:
		return nil, invalidCredentials("no entry matches "+filter+" under "+base, errNoEntry)
	case 1:
		return entries[0], nil
	}
	return nil, invalidCredentials(fmt.Sprintf("%d or more entries match %s under %s; refusing to guess which one is meant", len(entries), filter, base), nil)
}

// search runs one search bounded by limit entries. Hitting the limit is not
// an error: the caller sees limit entries and decides. Continuation
// references (Active Directory returns them for searches from the domain
// root) are not followed.
func (d *Directory) search(ctx context.Context, c *ldap.Conn, base string, scope int, filter string, limit int, attrs []string) ([]*ldap.Entry, error) {
	d.before("search")
	d.setOpTimeout(ctx, c)
	start := time.Now()
	_, span := startOp(ctx, OpSearch, srvOf(ctx))
	req := ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases, limit, int(d.opts.RequestTimeout/time.Second), false, filter, attrs, nil)
	res, err := c.Search(req)
	if err != nil && resultCode(err) == ldap.LDAPResultSizeLimitExceeded && res != nil {
		err = nil
	}
	if err != nil {
		err = classifySearch(err, base)
	}
	entries := 0
	if res != nil {
		entries = len(res.Entries)
	}
	span.end(ctx, err, AttrEntries.Int(entries))
	if trace := traceFrom(ctx); trace != nil {
		step := Step{Name: StepSearch, Detail: "base " + base + " filter " + filter, Err: err, Took: time.Since(start)}
		if err == nil {
			for _, e := range res.Entries {
				step.Entries = append(step.Entries, e.DN)
			}
		}
		trace.step(step)
	}
	if err != nil {
		return nil, err
	}
	return res.Entries, nil
}

// readOwnEntry fetches the entry of a user who bound directly: the bind
// name itself for a DN template; for the Active Directory forms, the entry
// the directory resolves that name to.
func (d *Directory) readOwnEntry(ctx context.Context, c *ldap.Conn, username, bindName string) (*ldap.Entry, error) {
	bt := d.opts.BindTemplate
	if bt.IsDN() {
		entry, err := d.searchOne(ctx, c, bindName, ldap.ScopeBaseObject, "(objectClass=*)")
		if errors.Is(err, errNoEntry) {
			// The bind succeeded, so the entry exists but this connection
			// may not read it.
			return nil, misconfigured("the entry "+bindName+" bound but cannot be read (check the read rights of the user or of bind_dn)", err)
		}
		return entry, err
	}
	entries, err := d.ownEntries(ctx, c, username, bindName)
	if err != nil {
		return nil, err
	}
	if e := pickOwnEntry(entries, bindName); e != nil {
		return e, nil
	}
	return nil, misconfigured(fmt.Sprintf("%s bound, but %d entries under %s match it; cannot tell which account bound (check search_base_dn)",
		bindName, len(entries), d.opts.SearchBaseDN), nil)
}

// ownEntries finds the entries a userPrincipalName or down-level bind name
// may resolve to (at most two: enough to see that it is ambiguous).
func (d *Directory) ownEntries(ctx context.Context, c *ldap.Conn, username, bindName string) ([]*ldap.Entry, error) {
	return d.search(ctx, c, d.opts.SearchBaseDN, ldap.ScopeWholeSubtree, d.opts.BindTemplate.ownEntryFilter(username, bindName), 2, d.userAttrs)
}

// pickOwnEntry picks the entry a userPrincipalName or down-level name bound
// as: the one whose userPrincipalName is exactly the bind name, else the
// only entry found (the sAMAccountName match).
func pickOwnEntry(entries []*ldap.Entry, bindName string) *ldap.Entry {
	var explicit []*ldap.Entry
	for _, e := range entries {
		if strings.EqualFold(e.GetEqualFoldAttributeValue("userPrincipalName"), bindName) {
			explicit = append(explicit, e)
		}
	}
	switch {
	case len(explicit) == 1:
		return explicit[0]
	case len(explicit) == 0 && len(entries) == 1:
		return entries[0]
	}
	return nil
}

// loginAttribute is the attribute the typed username is matched on, when
// the configuration says so unambiguously.
func (d *Directory) loginAttribute() string { return d.opts.LoginAttribute() }

// uniquenessBase is where other entries that could hold the same canonical
// username are looked for.
func (d *Directory) uniquenessBase() string {
	if d.opts.SearchBaseDN != "" {
		return d.opts.SearchBaseDN
	}
	return d.opts.BindTemplate.base
}

// checkUnique proves that no other entry holds the user's canonical
// username, when the way users log in does not already guarantee it (the
// typed name is matched on another attribute than username_attribute).
// Without this check, anyone able to set that attribute on their own entry
// (a mail address, say) would share another user's name, and with it their
// allowed_users entry and upstream identity. Active Directory enforces
// unique sAMAccountName and userPrincipalName values, so those need no
// check there.
func (d *Directory) checkUnique(ctx context.Context, c *ldap.Conn, entry *ldap.Entry, username string) error {
	if !d.uniqueCheck {
		return nil
	}
	attr := d.opts.UsernameAttribute
	if DirectoryUnique(attr) {
		isAD, err := d.isActiveDirectory(ctx, c)
		if err != nil {
			return err
		}
		if isAD {
			return nil
		}
	}
	base := d.uniquenessBase()
	filter := "(" + attr + "=" + ldap.EscapeFilter(username) + ")"
	entries, err := d.search(ctx, c, base, ldap.ScopeWholeSubtree, filter, 2, []string{"1.1"})
	if err != nil {
		return err
	}
	if len(entries) == 1 && NormalizeDN(entries[0].DN) == NormalizeDN(entry.DN) {
		return nil
	}
	var others []string
	for _, e := range entries {
		if NormalizeDN(e.DN) != NormalizeDN(entry.DN) {
			others = append(others, e.DN)
		}
	}
	if len(others) == 0 {
		return misconfigured(fmt.Sprintf("the %s value %q of %s is not found on it by a search under %s; refusing to identify the user (check the read rights of bind_dn)",
			attr, username, entry.DN, base), nil)
	}
	return misconfigured(fmt.Sprintf("the %s value %q of %s is also held by %s under %s; refusing to identify the user (an owner who may edit %s can block another user's logins this way: restrict write access to it)",
		attr, username, entry.DN, strings.Join(others, " and "), base, attr), nil)
}
