package ldapauth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	ldap "github.com/go-ldap/ldap/v3"
)

// Directory checks credentials against the configured LDAP servers. It is
// safe for concurrent use and holds the connection pools; Close releases
// them.
type Directory struct {
	cfg       *Config
	log       Logger
	endpoints []*endpoint
	userAttrs []string // attributes read from the user's entry
	ad        adDetection
}

// NewDirectory prepares pools for every server in cfg. It opens no
// connection: the first request does, so building a Directory is cheap and
// does no I/O.
func NewDirectory(cfg *Config, log Logger) *Directory {
	if log == nil {
		log = NopLogger{}
	}
	d := &Directory{cfg: cfg, log: log, userAttrs: userAttributes(cfg)}
	for _, srv := range cfg.Servers {
		base := dialer{
			srv:            srv,
			tls:            cfg.tlsConfigFor(srv),
			startTLS:       cfg.StartTLS,
			dialTimeout:    cfg.DialTimeout,
			requestTimeout: cfg.RequestTimeout,
		}
		service := base
		service.bindDN, service.bindPassword = cfg.BindDN, cfg.BindPassword
		d.endpoints = append(d.endpoints, &endpoint{
			srv:     srv,
			service: newPool(&service, cfg.PoolSize, cfg.PoolIdleTimeout),
			user:    newPool(&base, cfg.PoolSize, cfg.PoolIdleTimeout),
			now:     time.Now,
		})
	}
	return d
}

// userAttributes lists every attribute any feature reads from the entry.
func userAttributes(cfg *Config) []string {
	attrs := []string{cfg.UsernameAttribute}
	add := func(a string) {
		for _, have := range attrs {
			if strings.EqualFold(have, a) {
				return
			}
		}
		attrs = append(attrs, a)
	}
	for _, a := range cfg.Attributes {
		add(a)
	}
	for a := range cfg.AttributeHeaders {
		add(a)
	}
	for _, a := range cfg.MetadataAttributes {
		add(a)
	}
	if cfg.GroupSource == GroupSourceMemberOf {
		add("memberOf")
	}
	return attrs
}

// Close closes idle connections now and busy ones when they are returned.
func (d *Directory) Close() {
	for _, ep := range d.endpoints {
		ep.close()
	}
}

// Authenticate checks username and password and returns who the user is.
// Failures are *AuthError values whose Kind tells invalid credentials from
// an unavailable directory from a misconfiguration. The whole call, across
// every server it tries, takes at most DialTimeout + RequestTimeout.
func (d *Directory) Authenticate(ctx context.Context, username, password string) (*Identity, error) {
	return d.authenticate(ctx, username, password, nil)
}

// authenticate is Authenticate with a guard that runs once the user's entry
// (and so the canonical username) is known and before the password is sent;
// an error from it stops the check without a bind.
func (d *Directory) authenticate(ctx context.Context, username, password string, guard func(canonical string) error) (*Identity, error) {
	if username == "" || password == "" {
		// Callers reject these earlier; this keeps the Directory safe alone.
		return nil, invalidCredentials("empty username or password", nil)
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.DialTimeout+d.cfg.RequestTimeout)
	defer cancel()

	attempts := pickEndpoints(d.endpoints)
	if len(attempts) == 0 {
		return nil, unavailable("every directory server is down and already being probed", nil)
	}
	var lastErr error
	for i, a := range attempts {
		if ctx.Err() != nil {
			releaseProbes(attempts[i:])
			break
		}
		id, err := d.authenticateOn(ctx, a.ep, username, password, guard)
		if err == nil || KindOf(err) != KindUnavailable {
			if a.ep.markUp() {
				d.log.Infof("directory server %s is answering again", a.ep.srv.URL)
			}
			releaseProbes(attempts[i+1:])
			return id, err
		}
		retryIn := a.ep.markDown(a.probe)
		lastErr = err
		if i+1 < len(attempts) {
			d.log.Warnf("directory server %s unavailable, failing over to %s (retrying it in %v): %v",
				a.ep.srv.URL, attempts[i+1].ep.srv.URL, retryIn.Round(time.Millisecond), err)
		} else {
			d.log.Warnf("directory server %s unavailable (retrying it in %v): %v", a.ep.srv.URL, retryIn.Round(time.Millisecond), err)
		}
	}
	if lastErr == nil {
		lastErr = unavailable("no directory server answered within dial_timeout + request_timeout", ctx.Err())
	}
	return nil, lastErr
}

func releaseProbes(attempts []attempt) {
	for _, a := range attempts {
		if a.probe {
			a.ep.release()
		}
	}
}

func (d *Directory) authenticateOn(ctx context.Context, ep *endpoint, username, password string, guard func(string) error) (*Identity, error) {
	var entry *ldap.Entry
	if d.cfg.SearchMode() {
		err := d.withConn(ctx, ep.service, func(c *ldap.Conn) (err error) {
			entry, err = d.findUser(ctx, c, username)
			return err
		})
		if err != nil {
			return nil, err
		}
		canonical := entry.GetEqualFoldAttributeValue(d.cfg.UsernameAttribute)
		if guard != nil && canonical != "" {
			if err := guard(canonical); err != nil {
				return nil, err
			}
		}
		if err := d.withConn(ctx, ep.user, func(c *ldap.Conn) error {
			return d.bindUser(ctx, c, entry.DN, password)
		}); err != nil {
			var ae *AuthError
			if errors.As(err, &ae) && ae.Kind == KindInvalidCredentials {
				ae.User = canonical
			}
			return nil, err
		}
		return d.completeIdentity(ctx, ep.service, entry)
	}

	bindName, err := d.bindName(username)
	if err != nil {
		return nil, err
	}
	asUser := d.cfg.BindDN == ""
	var id *Identity
	err = d.withConn(ctx, ep.user, func(c *ldap.Conn) error {
		if err := d.bindUser(ctx, c, bindName, password); err != nil {
			return err
		}
		if !asUser {
			return nil
		}
		// Without a service account the user reads their own entry and
		// groups on the connection they just bound.
		entry, err := d.readOwnEntry(ctx, c, bindName, username)
		if err != nil {
			return err
		}
		id, err = d.identityWithGroups(ctx, c, entry)
		return err
	})
	if err != nil || asUser {
		return id, err
	}
	err = d.withConn(ctx, ep.service, func(c *ldap.Conn) (err error) {
		entry, err = d.readOwnEntry(ctx, c, bindName, username)
		return err
	})
	if err != nil {
		return nil, err
	}
	return d.completeIdentity(ctx, ep.service, entry)
}

// completeIdentity builds the identity and resolves groups on a service
// connection.
func (d *Directory) completeIdentity(ctx context.Context, p *pool, entry *ldap.Entry) (*Identity, error) {
	var id *Identity
	err := d.withConn(ctx, p, func(c *ldap.Conn) (err error) {
		id, err = d.identityWithGroups(ctx, c, entry)
		return err
	})
	return id, err
}

func (d *Directory) identityWithGroups(ctx context.Context, c *ldap.Conn, entry *ldap.Entry) (*Identity, error) {
	id, err := d.identityFrom(entry)
	if err != nil || !d.cfg.NeedsGroups() {
		return id, err
	}
	id.Groups, err = d.lookupGroups(ctx, c, entry, id.Username)
	return id, err
}

// withConn runs op on a pooled connection. When a reused connection fails
// at the transport level (the server restarted or cut idle connections),
// every idle connection of the pool is dropped and op runs once more on a
// fresh one, so one directory restart costs no failed request.
func (d *Directory) withConn(ctx context.Context, p *pool, op func(*ldap.Conn) error) error {
	c, fresh, err := p.get(ctx)
	if err != nil {
		return err
	}
	err = op(c)
	if isTransportError(err) && !fresh && ctx.Err() == nil {
		p.put(c, false)
		p.dropIdle()
		d.log.Debugf("pooled connection to %s broke (%v); retrying on a new one", p.dialer.srv.URL, err)
		if c, _, err = p.get(ctx); err != nil {
			return err
		}
		err = op(c)
	}
	p.put(c, !isTransportError(err))
	if isTransportError(err) {
		return unavailable("no answer from "+p.dialer.srv.URL, err)
	}
	return err
}

// setOpTimeout bounds the next operation by request_timeout and by what is
// left of the request's overall deadline.
func (d *Directory) setOpTimeout(ctx context.Context, c *ldap.Conn) {
	t := d.cfg.RequestTimeout
	if dl, ok := ctx.Deadline(); ok {
		t = min(t, time.Until(dl))
	}
	c.SetTimeout(atLeastOneMillisecond(t))
}

// findUser runs the user search and insists on exactly one entry: zero
// means no such user; two or more means the filter is ambiguous, and
// binding as "the first one" would let the wrong account in.
func (d *Directory) findUser(ctx context.Context, c *ldap.Conn, username string) (*ldap.Entry, error) {
	filter := d.cfg.searchFilter.expand(ldap.EscapeFilter, map[string]string{"username": username})
	return d.searchOne(ctx, c, d.cfg.SearchBaseDN, d.cfg.SearchScope, filter)
}

func (d *Directory) searchOne(ctx context.Context, c *ldap.Conn, base string, scope int, filter string) (*ldap.Entry, error) {
	d.setOpTimeout(ctx, c)
	req := ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases, 2, int(d.cfg.RequestTimeout/time.Second), false, filter, d.userAttrs, nil)
	res, err := c.Search(req)
	if err != nil {
		if isTransportError(err) {
			return nil, err
		}
		if resultCode(err) == ldap.LDAPResultSizeLimitExceeded {
			return nil, invalidCredentials("more than one entry matches "+filter+"; refusing to guess", nil)
		}
		return nil, searchFailure(base, err)
	}
	switch len(res.Entries) {
	case 0:
		return nil, invalidCredentials("no entry matches "+filter+" under "+base, nil)
	case 1:
		return res.Entries[0], nil
	}
	return nil, invalidCredentials(fmt.Sprintf("%d entries match %s; refusing to guess", len(res.Entries), filter), nil)
}

// searchFailure types an LDAP result code from a search.
func searchFailure(base string, err error) error {
	switch resultCode(err) {
	case ldap.LDAPResultNoSuchObject:
		return misconfigured("search base "+base+" does not exist", err)
	case ldap.LDAPResultInsufficientAccessRights, ldap.LDAPResultInappropriateAuthentication,
		ldap.LDAPResultConfidentialityRequired, ldap.LDAPResultStrongAuthRequired, ldap.LDAPResultUnwillingToPerform:
		return misconfigured("the directory refused the search under "+base+" (check the service account's rights and TLS)", err)
	case ldap.LDAPResultFilterError, ldap.ErrorFilterCompile:
		return misconfigured("the directory rejected the search filter", err)
	}
	return unavailable("search under "+base+" failed", err)
}

// bindUser performs the user's bind. Only results that mean "these
// credentials are not good" count as invalid credentials; everything else is
// reported as the directory's problem, not the user's.
func (d *Directory) bindUser(ctx context.Context, c *ldap.Conn, bindName, password string) error {
	d.setOpTimeout(ctx, c)
	err := c.Bind(bindName, password)
	if err == nil || isTransportError(err) {
		return err
	}
	switch resultCode(err) {
	case ldap.LDAPResultInvalidCredentials, ldap.LDAPResultInappropriateAuthentication,
		ldap.LDAPResultInsufficientAccessRights, ldap.LDAPResultUnwillingToPerform,
		ldap.LDAPResultConstraintViolation, ldap.LDAPResultNoSuchObject,
		ldap.LDAPResultInvalidDNSyntax, ldap.ErrorEmptyPassword:
		return invalidCredentials("the directory rejected the bind as "+bindName, err)
	case ldap.LDAPResultConfidentialityRequired, ldap.LDAPResultStrongAuthRequired,
		ldap.LDAPResultAuthMethodNotSupported:
		return misconfigured("the directory refuses simple binds on this connection (use ldaps:// or start_tls)", err)
	}
	return unavailable("bind as "+bindName+" failed", err)
}

// bindName turns the typed username into the name to bind as. In a DN
// template the username is DN-escaped. Other templates (an Active Directory
// "{username}@corp.example.com" or "CORP\{username}") cannot be escaped, so
// usernames that could change which account or domain is meant are refused.
func (d *Directory) bindName(username string) (string, error) {
	if d.cfg.userDNIsDN {
		return d.cfg.userDN.expand(ldap.EscapeDN, map[string]string{"username": username}), nil
	}
	if strings.ContainsAny(username, "@\\/,;+=\"<>#*()") || strings.TrimSpace(username) != username {
		return "", invalidCredentials("username contains characters not allowed in a bind name", nil)
	}
	return d.cfg.userDN.expand(identity, map[string]string{"username": username}), nil
}

// readOwnEntry fetches the entry of a user who bound directly: by its DN
// when the template is a DN, otherwise by the user search.
func (d *Directory) readOwnEntry(ctx context.Context, c *ldap.Conn, bindName, username string) (*ldap.Entry, error) {
	if d.cfg.userDNIsDN {
		return d.searchOne(ctx, c, bindName, ldap.ScopeBaseObject, "(objectClass=*)")
	}
	return d.findUser(ctx, c, username)
}

// identityFrom reads the canonical username and requested attributes.
func (d *Directory) identityFrom(entry *ldap.Entry) (*Identity, error) {
	username := entry.GetEqualFoldAttributeValue(d.cfg.UsernameAttribute)
	if username == "" {
		return nil, misconfigured(fmt.Sprintf("entry %s has no %s attribute (check username_attribute)", entry.DN, d.cfg.UsernameAttribute), nil)
	}
	id := &Identity{Username: username, DN: entry.DN}
	for _, a := range d.userAttrs[1:] {
		if strings.EqualFold(a, "memberOf") && d.cfg.GroupSource == GroupSourceMemberOf && !d.attributeRequested(a) {
			continue
		}
		if values := entry.GetEqualFoldAttributeValues(a); len(values) > 0 {
			if id.Attributes == nil {
				id.Attributes = make(map[string][]string)
			}
			id.Attributes[a] = values
		}
	}
	return id, nil
}

// attributeRequested reports whether the operator asked for attribute a
// (as opposed to the plugin needing it internally).
func (d *Directory) attributeRequested(a string) bool {
	for _, want := range d.cfg.Attributes {
		if strings.EqualFold(want, a) {
			return true
		}
	}
	for want := range d.cfg.AttributeHeaders {
		if strings.EqualFold(want, a) {
			return true
		}
	}
	for _, want := range d.cfg.MetadataAttributes {
		if strings.EqualFold(want, a) {
			return true
		}
	}
	return false
}
