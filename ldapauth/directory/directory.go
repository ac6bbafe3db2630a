package directory

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	ldap "github.com/go-ldap/ldap/v3"
)

// Directory checks credentials against the configured LDAP servers. It is
// safe for concurrent use and holds the connection pools; Close releases
// them.
type Directory struct {
	opts      Options
	log       *slog.Logger
	endpoints []*endpoint // the fixed list of Options.Servers
	dns       *discovered // the list found through DNS, with Options.Discovery
	userAttrs []string    // attributes read from the user's entry
	ad        adDetection
	// nobodyDN is bound for unknown users when EqualizeTiming is on: under
	// the search base, with a random name no entry has.
	nobodyDN string
	// uniqueCheck says whether a canonical username must be looked up to
	// prove no other entry holds it (see checkUnique).
	uniqueCheck bool
	// hook, when set, runs before each LDAP operation (tests inject panics
	// and failures there).
	hook atomic.Pointer[func(op string)]
}

// New prepares pools for every server. It opens no connection: the first
// request does, so building a Directory is cheap and does no I/O.
func New(opts Options) (*Directory, error) {
	opts.withDefaults()
	if (len(opts.Servers) == 0) == (opts.Discovery == nil) {
		return nil, errors.New("directory: set either servers or discovery")
	}
	if opts.UsernameAttribute == "" {
		return nil, errors.New("directory: no username attribute")
	}
	if opts.BindTemplate.IsZero() && (opts.SearchBaseDN == "" || opts.SearchFilter.IsZero()) {
		return nil, errors.New("directory: search-then-bind needs a search base and filter")
	}
	if !opts.BindTemplate.IsZero() && !opts.BindTemplate.IsDN() && opts.SearchBaseDN == "" {
		return nil, errors.New("directory: a bind template that is not a DN needs a search base to find the entry")
	}
	d := &Directory{opts: opts, log: opts.Logger, userAttrs: userAttributes(&opts)}
	d.uniqueCheck = !strings.EqualFold(d.loginAttribute(), opts.UsernameAttribute)
	if d.uniqueCheck && d.uniquenessBase() == "" {
		return nil, errors.New("directory: username_attribute differs from the attribute users log in with, and there is no search base to check that its values are unique")
	}
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	d.nobodyDN = "cn=tyk-ldap-auth-nobody-" + hex.EncodeToString(nonce[:]) + "," + opts.SearchBaseDN
	for _, srv := range opts.Servers {
		d.endpoints = append(d.endpoints, d.newEndpoint(srv))
	}
	if opts.Discovery != nil {
		d.dns = startDiscovery(opts, d.newEndpoint)
	}
	return d, nil
}

// newEndpoint prepares the pools of one server; it opens no connection.
func (d *Directory) newEndpoint(srv Server) *endpoint {
	base := dialer{
		srv:            srv,
		tls:            d.opts.TLS.forHost(srv.Host),
		startTLS:       d.opts.StartTLS,
		dialTimeout:    d.opts.DialTimeout,
		requestTimeout: d.opts.RequestTimeout,
	}
	service := base
	service.bindDN, service.bindPassword = d.opts.BindDN, d.opts.BindPassword
	return &endpoint{
		srv:     srv,
		service: newPool(&service, "service", d.opts.PoolSize, d.opts.PoolIdleTimeout),
		user:    newPool(&base, "user", d.opts.PoolSize, d.opts.PoolIdleTimeout),
		now:     time.Now,
	}
}

// Close closes idle connections now and busy ones when they are returned,
// and stops keeping a discovered server list fresh.
func (d *Directory) Close() {
	for _, ep := range d.endpoints {
		ep.close()
	}
	if d.dns != nil {
		d.dns.close()
	}
}

// currentEndpoints returns the servers a request may try, in order.
func (d *Directory) currentEndpoints(ctx context.Context) ([]*endpoint, error) {
	if d.dns == nil {
		return d.endpoints, nil
	}
	return d.dns.endpoints(ctx)
}

// CurrentServers returns the servers requests try now, in order: the
// configured list, or the one found through DNS (waiting for the first
// lookup as long as ctx allows). A directory watch connects to these.
func (d *Directory) CurrentServers(ctx context.Context) ([]Server, error) {
	eps, err := d.currentEndpoints(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Server, len(eps))
	for i, ep := range eps {
		out[i] = ep.srv
	}
	return out, nil
}

// serverFailed lets a discovered list be looked up again soon: a server
// that stopped answering may have been retired.
func (d *Directory) serverFailed() {
	if d.dns != nil {
		d.dns.stale()
	}
}

// Discovered returns the server list found through DNS that serves
// requests now, or nil (a fixed list, or no lookup has succeeded yet).
func (d *Directory) Discovered() *Resolution {
	if d.dns == nil {
		return nil
	}
	return d.dns.resolution()
}

// Authenticate checks username and password and returns who the user is.
// guard, when not nil, is consulted right before every user bind; its
// account key is "dn:" plus the normalised DN when the entry's DN is known
// before the bind (search-then-bind, DN templates, and userPrincipalName or
// down-level templates with a service account, which finds the entry
// first), otherwise "name:" plus the folded bind name (userPrincipalName
// and down-level templates without a service account). Every spelling of
// one account that the directory treats as the same name gives the same
// key; with a "name:" key, two different names of one account (an Active
// Directory userPrincipalName and the implicit sAMAccountName@domain) give
// two keys.
//
// Failures are *Error values. The whole call, across every server it
// tries, takes at most DialTimeout + RequestTimeout.
func (d *Directory) Authenticate(ctx context.Context, username, password string, guard BindGuard) (*Identity, error) {
	if username == "" || password == "" {
		// Callers reject these earlier; this keeps the Directory safe alone:
		// a simple bind with an empty password is an anonymous bind, which
		// many servers answer with success.
		return nil, invalidCredentials("empty username or password", nil)
	}
	ctx, cancel := context.WithTimeout(withBudget(ctx), d.opts.DialTimeout+d.opts.RequestTimeout)
	defer cancel()

	eps, err := d.currentEndpoints(ctx)
	if err != nil {
		return nil, err
	}
	plan := pickEndpoints(eps)
	defer plan.release()
	if len(plan.attempts) == 0 {
		return nil, unavailable("every directory server is down and already being probed", nil)
	}
	var lastErr error
	for i, a := range plan.attempts {
		if ctx.Err() != nil {
			break
		}
		id, err := d.authenticateOn(withServer(ctx, a.ep.srv), a.ep, username, password, guard)
		switch KindOf(err) {
		case KindUnavailable:
			lastErr = err
			retryIn := plan.down(i)
			d.serverFailed()
			if i+1 < len(plan.attempts) {
				d.log.Warn("directory server unavailable, failing over", "server", a.ep.srv.URL,
					"next_server", plan.attempts[i+1].ep.srv.URL, "retry_in", retryIn.Round(time.Millisecond).String(), "error", err.Error())
			} else {
				d.log.Warn("directory server unavailable", "server", a.ep.srv.URL,
					"retry_in", retryIn.Round(time.Millisecond).String(), "error", err.Error())
			}
			continue
		case KindBusy:
			// The gateway's own queueing, not the server: no verdict
			// (plan.release frees a probe claim). When an earlier server
			// failed for real, that failure is the answer.
			if lastErr != nil {
				return nil, lastErr
			}
			return nil, err
		case KindRefused:
			// Says nothing about the server's health.
			return nil, err
		}
		if plan.up(i) {
			d.log.Info("directory server is answering again", "server", a.ep.srv.URL)
		}
		return answeredBy(a.ep.srv, id, err)
	}
	if lastErr == nil {
		lastErr = unavailable("no directory server answered within dial_timeout + request_timeout", ctx.Err())
	}
	return nil, lastErr
}

// answeredBy names the server that gave the answer, on the identity or
// the error.
func answeredBy(srv Server, id *Identity, err error) (*Identity, error) {
	if id != nil {
		id.Server = srv.URL
	}
	if de, ok := AsError(err); ok && de.Server == "" {
		de.Server = srv.URL
	}
	return id, err
}

func (d *Directory) authenticateOn(ctx context.Context, ep *endpoint, username, password string, guard BindGuard) (*Identity, error) {
	if d.opts.BindTemplate.IsZero() {
		return d.searchThenBind(ctx, ep, username, password, guard)
	}
	return d.directBind(ctx, ep, username, password, guard)
}

// searchThenBind finds the user's entry with the service account (exactly
// one must match), binds as that entry with the password, then reads the
// identity and groups with the service account again.
func (d *Directory) searchThenBind(ctx context.Context, ep *endpoint, username, password string, guard BindGuard) (*Identity, error) {
	var entry *ldap.Entry
	err := d.withConn(ctx, ep.service, func(c *ldap.Conn) (err error) {
		entry, err = d.findUser(ctx, c, username)
		return err
	})
	if errors.Is(err, errNoEntry) {
		return nil, d.unknownUser(ctx, ep, username, password, guard, err)
	}
	if err != nil {
		return nil, err
	}
	acct := account{key: "dn:" + NormalizeDN(entry.DN), bindName: entry.DN,
		user: entry.GetEqualFoldAttributeValue(d.opts.UsernameAttribute)}
	if err := d.withConn(ctx, ep.user, func(c *ldap.Conn) error {
		return d.guardedBind(ctx, c, acct, password, guard)
	}); err != nil {
		return nil, err
	}
	return d.identify(ctx, ep.service, entry)
}

// directBind binds as the name the template gives, then reads the entry
// that bound: as the user, on the same connection, when there is no service
// account; with the service account otherwise. With a service account, a
// userPrincipalName or down-level name is resolved to its entry before the
// bind instead, so attempts are bounded per entry, not per name: Active
// Directory reaches one account by its userPrincipalName and by its
// sAMAccountName@domain, and a budget per name would let twice max_failures
// wrong passwords reach that account. A name that resolves to no single
// entry is bound and bounded under its own name, as without a service
// account, and its entry is read after the bind.
func (d *Directory) directBind(ctx context.Context, ep *endpoint, username, password string, guard BindGuard) (*Identity, error) {
	bindName, err := d.opts.BindTemplate.name(username)
	if err != nil {
		return nil, err
	}
	acct := account{key: d.opts.BindTemplate.accountKeyFor(username, bindName), bindName: bindName}
	if d.opts.BindDN == "" {
		var id *Identity
		err := d.withConn(ctx, ep.user, func(c *ldap.Conn) error {
			if err := d.guardedBind(ctx, c, acct, password, guard); err != nil {
				return err
			}
			entry, err := d.readOwnEntry(ctx, c, username, bindName)
			if err != nil {
				return err
			}
			id, err = d.identifyOn(ctx, c, entry)
			return err
		})
		return id, err
	}
	var entry *ldap.Entry
	if !d.opts.BindTemplate.IsDN() {
		if err := d.withConn(ctx, ep.service, func(c *ldap.Conn) error {
			entries, err := d.ownEntries(ctx, c, username, bindName)
			entry = pickOwnEntry(entries, bindName)
			return err
		}); err != nil {
			return nil, err
		}
		if entry != nil {
			acct.key = "dn:" + NormalizeDN(entry.DN)
			acct.user = entry.GetEqualFoldAttributeValue(d.opts.UsernameAttribute)
		}
	}
	if err := d.withConn(ctx, ep.user, func(c *ldap.Conn) error {
		return d.guardedBind(ctx, c, acct, password, guard)
	}); err != nil {
		return nil, err
	}
	if entry == nil {
		if err := d.withConn(ctx, ep.service, func(c *ldap.Conn) (err error) {
			entry, err = d.readOwnEntry(ctx, c, username, bindName)
			return err
		}); err != nil {
			return nil, err
		}
	}
	return d.identify(ctx, ep.service, entry)
}

// guardedBind asks the guard, binds, and reports the outcome to the guard
// on every path: a bind that was sent and timed out waiting for its answer
// reports BindUnanswered; one that panicked, was never sent or lost its
// connection reports BindNoAnswer.
func (d *Directory) guardedBind(ctx context.Context, c *ldap.Conn, acct account, password string, guard BindGuard) error {
	if guard == nil {
		return d.bindAccount(ctx, c, acct, password)
	}
	done, err := guard(ctx, acct.key)
	if err != nil {
		return &Error{Kind: KindRefused, Reason: "the attempt for " + acct.bindName + " was refused before the bind", Err: err, User: acct.user}
	}
	outcome := BindNoAnswer
	defer func() { done(outcome) }()
	err = d.bindAccount(ctx, c, acct, password)
	outcome = bindOutcome(err)
	return err
}

func (d *Directory) bindAccount(ctx context.Context, c *ldap.Conn, acct account, password string) error {
	err := d.bindUser(ctx, c, acct.bindName, password)
	if de, ok := AsError(err); ok && de.User == "" {
		de.User = acct.user
	}
	return err
}

// bindUser sends the user's bind with the password policy request control,
// so a server with a password policy (OpenLDAP's ppolicy) says why it
// refused an account. Servers without one ignore the control.
func (d *Directory) bindUser(ctx context.Context, c *ldap.Conn, bindName, password string) error {
	d.before("bind")
	d.setOpTimeout(ctx, c)
	start := time.Now()
	_, span := startOp(ctx, OpUserBind, srvOf(ctx))
	req := ldap.NewSimpleBindRequest(bindName, password, []ldap.Control{ldap.NewControlBeheraPasswordPolicy()})
	res, err := c.SimpleBind(req)
	var policy *ldap.ControlBeheraPasswordPolicy
	if res != nil {
		if ctrl := ldap.FindControl(res.Controls, ldap.ControlTypeBeheraPasswordPolicy); ctrl != nil {
			policy, _ = ctrl.(*ldap.ControlBeheraPasswordPolicy)
		}
	}
	err = classifyBind(err, bindName, policy)
	span.end(ctx, err)
	traceFrom(ctx).step(Step{Name: StepUserBind, Detail: bindName, Err: err, Took: time.Since(start)})
	return err
}

// bindNobody sends a bind that must fail, so an unknown user costs the same
// round trips as a known one. Its answer is irrelevant.
func (d *Directory) bindNobody(ctx context.Context, p *pool, password string) {
	_ = d.withConn(ctx, p, func(c *ldap.Conn) error {
		d.setOpTimeout(ctx, c)
		err := c.Bind(d.nobodyDN, password)
		if isTransport(err) {
			return err
		}
		return nil
	})
}

// identify builds the identity and resolves groups on a connection of p.
func (d *Directory) identify(ctx context.Context, p *pool, entry *ldap.Entry) (*Identity, error) {
	var id *Identity
	err := d.withConn(ctx, p, func(c *ldap.Conn) (err error) {
		id, err = d.identifyOn(ctx, c, entry)
		return err
	})
	return id, err
}

func (d *Directory) identifyOn(ctx context.Context, c *ldap.Conn, entry *ldap.Entry) (*Identity, error) {
	id, err := d.identityFrom(entry)
	if err != nil {
		return nil, err
	}
	if err := d.checkUnique(ctx, c, entry, id.Username); err != nil {
		return nil, err
	}
	if d.opts.Groups.Source != "" {
		id.Groups, err = d.lookupGroups(ctx, c, entry, id.Username)
	}
	return id, err
}

// setOpTimeout bounds the next operation by request_timeout and by what is
// left of the request's overall deadline.
func (d *Directory) setOpTimeout(ctx context.Context, c *ldap.Conn) {
	c.SetTimeout(allowance(ctx, d.opts.RequestTimeout))
}

// before runs the test hook, if any.
func (d *Directory) before(op string) {
	if h := d.hook.Load(); h != nil {
		(*h)(op)
	}
}
