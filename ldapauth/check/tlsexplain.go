package check

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	ldap "github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
)

// tlsDetail describes a handshake: the name expected, the version
// negotiated, and the chain presented.
func tlsDetail(info *directory.TLSInfo) (string, []Certificate) {
	if info == nil {
		return "", nil
	}
	detail := "certificate must be for " + info.ExpectedName
	if info.Version != 0 {
		detail += "; " + tls.VersionName(info.Version)
	}
	return detail, describeChain(info.Chain)
}

func describeChain(chain []*x509.Certificate) []Certificate {
	out := make([]Certificate, 0, len(chain))
	for _, c := range chain {
		ips := make([]string, len(c.IPAddresses))
		for i, ip := range c.IPAddresses {
			ips[i] = ip.String()
		}
		out = append(out, Certificate{
			Subject: c.Subject.String(), Issuer: c.Issuer.String(), DNSNames: c.DNSNames, IPs: ips,
			NotBefore: c.NotBefore.UTC().Format(time.RFC3339), NotAfter: c.NotAfter.UTC().Format(time.RFC3339), IsCA: c.IsCA,
		})
	}
	return out
}

// certNames are the names a certificate is valid for. Go, like the
// gateway, ignores the subject's CN when checking names.
func certNames(c *x509.Certificate) []string {
	names := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	return names
}

// tlsAdvice explains a failed TLS handshake or StartTLS. ldaps:// failures
// carry the verification error and the chain. go-ldap reports a failed
// StartTLS handshake as text only, so for those the chain is fetched with a
// second StartTLS that records it without verifying (nothing is sent over
// it), and verified here with the same roots and name to tell why it was
// refused. The returned notes say when that happened.
func (ac *adviceContext) tlsAdvice(step *Step, s directory.Step) (string, []string) {
	var notes []string
	err := s.Err
	expected := ""
	if s.TLS != nil {
		expected = s.TLS.ExpectedName
	}
	if directory.IsTimeout(err) {
		// A certificate problem fails at once; running out of time means
		// nothing came back.
		return noAnswerAdvice(step.Server, stepPhrase(s.Name), "dial_timeout", ac.cfg.Directory.DialTimeout), nil
	}
	if s.Name == directory.StepStartTLS && !strings.Contains(err.Error(), "TLS handshake failed") {
		return fmt.Sprintf("%s refused StartTLS (%v): enable TLS on the server, or use an ldaps:// URL", step.Server, err), nil
	}
	var certErr error
	if hasCertificateError(err) {
		certErr = err
	} else if s.Name == directory.StepStartTLS && strings.Contains(err.Error(), "certificate") {
		chain, perr := ac.fetchStartTLSChain(step.Server, expected)
		if perr != nil {
			notes = append(notes, "could not fetch the certificate chain for this report: "+perr.Error())
		} else {
			step.Certificates = describeChain(chain)
			notes = append(notes, "certificate chain fetched by a second StartTLS that did not verify it (go-ldap does not report the chain of a refused StartTLS)")
			certErr = ac.verifyChain(chain, expected)
		}
	}
	if certErr != nil {
		if advice := ac.certificateAdvice(certErr, expected); advice != "" {
			return advice, notes
		}
	}
	var header tls.RecordHeaderError
	switch text := err.Error(); {
	case errors.As(err, &header) || strings.Contains(text, "does not look like a TLS handshake"):
		return fmt.Sprintf("%s does not speak TLS on this port: for a plain LDAP port use an ldap:// URL with start_tls: true", step.Server), notes
	case errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET):
		return fmt.Sprintf("%s closed the connection during the TLS handshake: it probably does not speak TLS on this port (for a plain LDAP port use an ldap:// URL with start_tls: true)", step.Server), notes
	case strings.Contains(text, "protocol version"):
		return "the server and the plugin share no TLS version: the plugin accepts tls_min_version (default 1.2) or newer; upgrade the server's TLS", notes
	}
	return fmt.Sprintf("the TLS handshake with %s failed: check that it serves TLS on this port", step.Server), notes
}

func hasCertificateError(err error) bool {
	var host x509.HostnameError
	var authority x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &host) || errors.As(err, &authority) || errors.As(err, &invalid)
}

// stepPhrase names a traced step in advice.
func stepPhrase(name directory.StepName) string {
	switch name {
	case directory.StepTLS:
		return "the TLS handshake"
	case directory.StepStartTLS:
		return "StartTLS"
	case directory.StepConnect:
		return "the TCP connect"
	}
	return string(name)
}

// noAnswerAdvice is the advice for a step that ran out of time: the same
// diagnosis as the gateway's log line (directory.NoAnswerReason), and what
// to look at.
func noAnswerAdvice(server, step, setting string, limit time.Duration) string {
	return directory.NoAnswerReason(server, step, setting, limit) +
		": check that the server process is running and not stopped or overloaded, and that no firewall drops packets between the gateway and it; certificates are not the cause"
}

// certificateAdvice turns a certificate verification error into advice.
func (ac *adviceContext) certificateAdvice(err error, expected string) string {
	var host x509.HostnameError
	var authority x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &host):
		names := certNames(host.Certificate)
		if len(names) == 0 {
			return fmt.Sprintf("the certificate carries no subjectAltName, only a subject (%s), which TLS clients ignore: reissue it with the server's names as subjectAltName", host.Certificate.Subject)
		}
		setting := "set tls_server_name to one of those names (or use one of them in the URL)"
		if ac.cfg.Directory.TLS.ServerName != "" {
			setting = "tls_server_name must be one of those names"
		}
		return fmt.Sprintf("the certificate is for %s, not %s: %s", strings.Join(names, ", "), expected, setting)
	case errors.As(err, &authority):
		issuer := "an unknown issuer"
		if authority.Cert != nil {
			issuer = authority.Cert.Issuer.String()
		}
		if ac.caSource == "" {
			return fmt.Sprintf("the server's certificate is issued by %s, which the system CAs do not trust: set tls_ca_file to that CA's certificate (PEM)", issuer)
		}
		return fmt.Sprintf("%s did not sign the server's certificate (issuer %s): set tls_ca_file to the CA that issued it", ac.caSource, issuer)
	case errors.As(err, &invalid):
		c := invalid.Cert
		switch invalid.Reason {
		case x509.Expired:
			return fmt.Sprintf("the certificate %s is not valid now (valid from %s to %s): renew it, or correct this machine's clock",
				c.Subject, c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))
		case x509.IncompatibleUsage:
			return fmt.Sprintf("the certificate %s is not for TLS servers (its extended key usage): reissue it for server authentication", c.Subject)
		case x509.NotAuthorizedToSign:
			return fmt.Sprintf("%s signed the server's certificate but is not a CA: reissue the chain", c.Subject)
		}
		return "the certificate is invalid: " + invalid.Error()
	}
	return ""
}

// fetchStartTLSChain opens its own connection to serverURL and returns the
// chain the server presents after StartTLS, accepting it unverified.
func (ac *adviceContext) fetchStartTLSChain(serverURL, name string) ([]*x509.Certificate, error) {
	srv, err := directory.ParseServer(serverURL)
	if err != nil {
		return nil, err
	}
	timeout := ac.cfg.Directory.DialTimeout
	if timeout <= 0 {
		timeout = directory.DefaultDialTimeout
	}
	raw, err := net.DialTimeout("tcp", srv.Addr, timeout)
	if err != nil {
		return nil, err
	}
	if err := raw.SetDeadline(time.Now().Add(timeout)); err != nil {
		raw.Close()
		return nil, err
	}
	conn := ldap.NewConn(raw, false)
	conn.Start()
	defer conn.Close()
	var chain []*x509.Certificate
	err = conn.StartTLS(&tls.Config{
		ServerName: name,
		MinVersion: ac.cfg.Directory.TLS.MinVersion,
		// Only to look at the chain: the connection is closed right after.
		InsecureSkipVerify: true, //nolint:gosec // the chain is verified below, nothing is sent
		VerifyConnection: func(cs tls.ConnectionState) error {
			chain = cs.PeerCertificates
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	if len(chain) == 0 {
		return nil, errors.New("the server presented no certificate")
	}
	return chain, nil
}

// verifyChain checks chain the way crypto/tls checks a server's: against
// the configured roots (nil: the system's), for the expected name, with the
// rest of the chain as intermediates.
func (ac *adviceContext) verifyChain(chain []*x509.Certificate, name string) error {
	opts := x509.VerifyOptions{Roots: ac.cfg.Directory.TLS.RootCAs, DNSName: name, Intermediates: x509.NewCertPool()}
	for _, c := range chain[1:] {
		opts.Intermediates.AddCert(c)
	}
	_, err := chain[0].Verify(opts)
	return err
}
