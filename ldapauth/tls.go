package ldapauth

import (
	"crypto/tls"
	"crypto/x509"
	"os"
)

var tlsVersions = map[string]uint16{
	"1.0": tls.VersionTLS10,
	"1.1": tls.VersionTLS11,
	"1.2": tls.VersionTLS12,
	"1.3": tls.VersionTLS13,
}

// tlsSettings is what the tls_* keys say; the per-server *tls.Config is made
// from it once the server's host name is known.
type tlsSettings struct {
	roots              *x509.CertPool // nil: the system roots
	serverName         string         // overrides the URL host for verification
	insecureSkipVerify bool
	minVersion         uint16
}

func (d *decoder) tlsSettings() tlsSettings {
	s := tlsSettings{
		serverName:         d.str("tls_server_name", ""),
		insecureSkipVerify: d.boolean("tls_insecure_skip_verify", false),
		minVersion:         tls.VersionTLS12,
	}
	if v := d.str("tls_min_version", "1.2"); v != "" {
		if ver, ok := tlsVersions[v]; ok {
			s.minVersion = ver
		} else {
			d.fail("tls_min_version", "must be one of \"1.0\", \"1.1\", \"1.2\", \"1.3\", got %q", v)
		}
	}
	caFile := d.str("tls_ca_file", "")
	caPEM := d.str("tls_ca_pem", "")
	if caFile == "" && caPEM == "" {
		return s
	}
	// A configured CA replaces the system roots rather than adding to them:
	// trusting "our directory's CA or any public CA" is rarely what is meant.
	pool := x509.NewCertPool()
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		switch {
		case err != nil:
			d.fail("tls_ca_file", "cannot read %s: %v", caFile, err)
		case !pool.AppendCertsFromPEM(pem):
			d.fail("tls_ca_file", "%s holds no PEM certificate", caFile)
		}
	}
	if caPEM != "" && !pool.AppendCertsFromPEM([]byte(caPEM)) {
		d.fail("tls_ca_pem", "holds no PEM certificate (it must include the BEGIN/END CERTIFICATE lines)")
	}
	s.roots = pool
	return s
}

// forHost returns the client TLS configuration for one server. ServerName is
// always set: go-ldap's StartTLS does not fill it in from the address.
func (s tlsSettings) forHost(host string) *tls.Config {
	name := s.serverName
	if name == "" {
		name = host
	}
	return &tls.Config{
		RootCAs:            s.roots,
		ServerName:         name,
		InsecureSkipVerify: s.insecureSkipVerify, //nolint:gosec // only when the operator sets tls_insecure_skip_verify
		MinVersion:         s.minVersion,
	}
}
