package directory

import "crypto/tls"

// forHost returns the client TLS configuration for one server. ServerName
// is always set: go-ldap's StartTLS does not fill it in from the address.
func (o TLSOptions) forHost(host string) *tls.Config {
	name := o.ServerName
	if name == "" {
		name = host
	}
	minVersion := o.MinVersion
	if minVersion == 0 {
		minVersion = tls.VersionTLS12
	}
	return &tls.Config{
		RootCAs:            o.RootCAs,
		ServerName:         name,
		InsecureSkipVerify: o.InsecureSkipVerify, //nolint:gosec // only when the operator sets tls_insecure_skip_verify
		MinVersion:         minVersion,
	}
}
