package ldapauth

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	ldap "github.com/go-ldap/ldap/v3"
)

// dialer opens LDAP connections to one server. Every step of setting a
// connection up (TCP, TLS, StartTLS, the service-account bind) runs under one
// socket deadline, so a server that accepts connections but never answers
// (frozen, or a half-open firewall) cannot hold a request longer than
// DialTimeout. go-ldap's StartTLS handshake has no timeout of its own; the
// deadline on the underlying socket covers it.
type dialer struct {
	srv            Server
	tls            *tls.Config
	startTLS       bool
	dialTimeout    time.Duration
	requestTimeout time.Duration
	// bindDN/bindPassword, when set, authenticate every new connection as
	// the service account.
	bindDN       string
	bindPassword Secret
}

func (d *dialer) dial(ctx context.Context) (*ldap.Conn, error) {
	deadline := time.Now().Add(d.dialTimeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	nd := net.Dialer{Deadline: deadline}
	raw, err := nd.DialContext(ctx, "tcp", d.srv.Addr)
	if err != nil {
		return nil, unavailable("cannot connect to "+d.srv.URL, err)
	}
	if err := raw.SetDeadline(deadline); err != nil {
		raw.Close()
		return nil, unavailable("cannot set a deadline on the connection to "+d.srv.URL, err)
	}
	netConn := raw
	if d.srv.Scheme == "ldaps" {
		tc := tls.Client(raw, d.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, unavailable(tlsFailure(d.srv.URL), err)
		}
		netConn = tc
	}
	conn := ldap.NewConn(netConn, d.srv.Scheme == "ldaps")
	conn.Start()
	conn.SetTimeout(atLeastOneMillisecond(time.Until(deadline)))
	if d.startTLS {
		if err := conn.StartTLS(d.tls); err != nil {
			conn.Close()
			return nil, unavailable(tlsFailure(d.srv.URL)+" (StartTLS)", err)
		}
	}
	if d.bindDN != "" {
		if err := conn.Bind(d.bindDN, d.bindPassword.Reveal()); err != nil {
			conn.Close()
			if isTransportError(err) {
				return nil, unavailable("service-account bind to "+d.srv.URL+" got no answer", err)
			}
			return nil, misconfigured(fmt.Sprintf("the directory %s rejected the service account %q (check bind_dn and bind_password)", d.srv.URL, d.bindDN), err)
		}
	}
	// Setup is done; from now on each operation has its own timeout.
	if err := raw.SetDeadline(time.Time{}); err != nil {
		conn.Close()
		return nil, unavailable("cannot clear the deadline on the connection to "+d.srv.URL, err)
	}
	conn.SetTimeout(d.requestTimeout)
	return conn, nil
}

func tlsFailure(url string) string {
	return "TLS handshake with " + url + " failed (check tls_ca_file/tls_ca_pem and tls_server_name)"
}

// isTransportError reports whether err means "no usable answer" (the
// connection broke, timed out, or never carried a reply) as opposed to an
// LDAP result the server chose to send. A connection reset mid-request comes
// back from go-ldap as a plain error, not an *ldap.Error.
func isTransportError(err error) bool {
	if err == nil {
		return false
	}
	var ae *AuthError
	if errors.As(err, &ae) {
		return false // already classified: the server did answer
	}
	var le *ldap.Error
	if !errors.As(err, &le) {
		return true
	}
	switch le.ResultCode {
	case ldap.ErrorNetwork, ldap.ErrorUnexpectedMessage, ldap.ErrorUnexpectedResponse:
		return true
	}
	return false
}

// resultCode returns the LDAP result code carried by err, or 0.
func resultCode(err error) uint16 {
	var le *ldap.Error
	if errors.As(err, &le) {
		return le.ResultCode
	}
	return 0
}

// atLeastOneMillisecond keeps a timeout positive: go-ldap treats zero or a
// negative timeout as "wait forever", the opposite of what an expired
// deadline means.
func atLeastOneMillisecond(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return time.Millisecond
	}
	return d
}
