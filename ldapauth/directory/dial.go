package directory

import (
	"context"
	"crypto/tls"
	"net"
	"time"

	ldap "github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/secret"
)

// dialer opens LDAP connections to one server. Every step of setting a
// connection up (TCP, TLS, StartTLS, the service-account bind) runs under
// one socket deadline, so a server that accepts connections but never
// answers (frozen, or a half-open firewall) cannot hold a request longer
// than the dial timeout. go-ldap's StartTLS handshake has no timeout of its
// own; the deadline on the underlying socket covers it.
type dialer struct {
	srv            Server
	tls            *tls.Config
	startTLS       bool
	dialTimeout    time.Duration
	requestTimeout time.Duration
	// bindDN and bindPassword, when set, authenticate every new connection
	// as the service account.
	bindDN       string
	bindPassword secret.Value
}

func (d *dialer) dial(ctx context.Context) (_ *ldap.Conn, err error) {
	ctx, span := startOp(ctx, OpConnect, d.srv)
	defer func() { span.end(ctx, err) }()
	trace := traceFrom(ctx)
	start := time.Now()
	deadline := start.Add(allowance(ctx, d.dialTimeout))
	conn, err := d.setUp(ctx, trace, start, deadline)
	if KindOf(err) == KindUnavailable && timedOutShort(ctx) {
		// Connecting got only what queueing left of the request's time
		// and used it up: no verdict on the server.
		return nil, outOfTime(d.srv.URL, err)
	}
	return conn, err
}

// setUp connects, secures and authenticates one connection, every step
// before deadline.
func (d *dialer) setUp(ctx context.Context, trace *Trace, start, deadline time.Time) (*ldap.Conn, error) {
	nd := net.Dialer{Deadline: deadline}
	raw, err := nd.DialContext(ctx, "tcp", d.srv.Addr)
	trace.step(Step{Name: StepConnect, Server: d.srv.URL, Detail: d.srv.Addr, Err: err, Took: time.Since(start)})
	if err != nil {
		if IsTimeout(err) {
			return nil, unavailable(NoAnswerReason(d.srv.URL, "the TCP connect", "dial_timeout", d.dialTimeout), err)
		}
		return nil, unavailable("cannot connect to "+d.srv.URL, err)
	}
	if err := raw.SetDeadline(deadline); err != nil {
		raw.Close()
		return nil, unavailable("cannot set a deadline on the connection to "+d.srv.URL, err)
	}
	netConn := raw
	if d.srv.Encrypted() {
		start = time.Now()
		_, op := startOp(ctx, OpTLS, d.srv)
		tc := tls.Client(raw, d.tls)
		err := tc.HandshakeContext(ctx)
		op.end(ctx, classifyDialStep(err))
		trace.tls(StepTLS, d.srv.URL, d.tls.ServerName, tc, err, time.Since(start))
		if err != nil {
			raw.Close()
			return nil, unavailable(tlsFailure(d.srv.URL, "the TLS handshake", d.dialTimeout, err), err)
		}
		netConn = tc
	}
	conn := ldap.NewConn(netConn, d.srv.Encrypted())
	conn.Start()
	conn.SetTimeout(atLeastOneMillisecond(time.Until(deadline)))
	if d.startTLS {
		start = time.Now()
		_, op := startOp(ctx, OpStartTLS, d.srv)
		err := conn.StartTLS(d.tls)
		op.end(ctx, classifyDialStep(err))
		state, _ := conn.TLSConnectionState()
		trace.tlsState(StepStartTLS, d.srv.URL, d.tls.ServerName, state, err, time.Since(start))
		if err != nil {
			conn.Close()
			return nil, unavailable(tlsFailure(d.srv.URL, "StartTLS", d.dialTimeout, err), err)
		}
	}
	if d.bindDN != "" {
		start = time.Now()
		_, op := startOp(ctx, OpServiceBind, d.srv)
		err := conn.Bind(d.bindDN, d.bindPassword.Reveal())
		trace.step(Step{Name: StepServiceBind, Server: d.srv.URL, Detail: d.bindDN, Err: err, Took: time.Since(start)})
		if err != nil {
			conn.Close()
			if IsTimeout(err) {
				err = unavailable(NoAnswerReason(d.srv.URL, "the service-account bind", "dial_timeout", d.dialTimeout), err)
			} else {
				err = classifyServiceBind(err, d.srv.URL, d.bindDN)
			}
			op.end(ctx, err)
			return nil, err
		}
		op.end(ctx, nil)
	}
	// Setup is done; from now on each operation has its own timeout.
	if err := raw.SetDeadline(time.Time{}); err != nil {
		conn.Close()
		return nil, unavailable("cannot clear the deadline on the connection to "+d.srv.URL, err)
	}
	conn.SetTimeout(d.requestTimeout)
	return conn, nil
}

// classifyDialStep types a failed TLS step for its span: a handshake that
// fails leaves the server unusable.
func classifyDialStep(err error) error {
	if err == nil {
		return nil
	}
	return unavailable("TLS", err)
}

// atLeastOneMillisecond keeps a timeout positive: go-ldap treats zero or a
// negative timeout as "wait forever", the opposite of what an expired
// deadline means.
func atLeastOneMillisecond(d time.Duration) time.Duration {
	return max(d, time.Millisecond)
}
