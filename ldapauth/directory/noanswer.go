package directory

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// A step that runs out of time and a step that fails are different
// outages: a server that never answers (frozen, overloaded, or a firewall
// dropping packets) needs an operator to look at the server and the
// network, while a refused certificate needs the TLS settings. The gateway
// log and ldapauth-check both say which one happened from these functions.

// IsTimeout reports whether err means the peer sent nothing back in time,
// as opposed to an answer that was wrong.
func IsTimeout(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	// go-ldap reports its request timeout, and a StartTLS handshake that
	// timed out, as text only.
	text := err.Error()
	return strings.Contains(text, "ldap: connection timed out") || strings.Contains(text, "i/o timeout")
}

// IsCertificateError reports whether err is a refused certificate: an
// unknown issuer, a name the certificate does not carry, or a certificate
// that is not valid (expired, not a server certificate, ...).
func IsCertificateError(err error) bool {
	if err == nil {
		return false
	}
	var host x509.HostnameError
	var authority x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	if errors.As(err, &host) || errors.As(err, &authority) || errors.As(err, &invalid) || errors.As(err, &verify) {
		return true
	}
	// go-ldap's StartTLS reports the handshake's error as text only.
	return strings.Contains(err.Error(), "x509: ")
}

// NoAnswerReason is the reason given for a step that ran out of time.
// setting is the configuration key that bounds it (dial_timeout or
// request_timeout) and limit its value.
func NoAnswerReason(server, step, setting string, limit time.Duration) string {
	return fmt.Sprintf("no answer from %s within %s (%v) during %s (server frozen or a firewall dropping packets)", server, setting, limit, step)
}

// tlsFailure is the reason for a failed TLS handshake or StartTLS: no
// answer in time, a refused certificate, or a server that does not speak
// TLS there. Certificate advice is given for certificate errors only.
func tlsFailure(server, step string, limit time.Duration, err error) string {
	switch {
	case IsTimeout(err):
		return NoAnswerReason(server, step, "dial_timeout", limit)
	case IsCertificateError(err):
		return step + " with " + server + " failed: the certificate was refused (check tls_ca_file/tls_ca_pem and tls_server_name)"
	}
	return step + " with " + server + " failed (check that the server speaks TLS on this port)"
}
