// Package ldaptest is the client side that the tests of the directory
// harnesses share (slapdtest's OpenLDAP, adtest's Samba AD DC): reaching a
// directory in each of the three ways a client can, and reading the LDAP
// result code of an error.
package ldaptest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// Transport is how a test client reaches a directory.
type Transport string

const (
	Plain    Transport = "plain"    // ldap://, no TLS
	StartTLS Transport = "starttls" // ldap://, upgraded with StartTLS
	LDAPS    Transport = "ldaps"    // ldaps://
)

// Transports lists every Transport.
var Transports = []Transport{Plain, StartTLS, LDAPS}

// Dial connects over tr to a directory whose plain listener (which also
// serves StartTLS) is url and whose TLS listener is ldapsURL. The TLS
// transports verify the server with cfg. Every request on the connection
// times out after timeout.
func Dial(tr Transport, url, ldapsURL string, cfg *tls.Config, timeout time.Duration) (*ldap.Conn, error) {
	var (
		c   *ldap.Conn
		err error
	)
	switch tr {
	case Plain:
		c, err = ldap.DialURL(url)
	case StartTLS:
		if c, err = ldap.DialURL(url); err == nil {
			if err = c.StartTLS(cfg); err != nil {
				c.Close()
			}
		}
	case LDAPS:
		c, err = ldap.DialURL(ldapsURL, ldap.DialWithTLSConfig(cfg))
	default:
		return nil, fmt.Errorf("ldaptest: unknown transport %q", tr)
	}
	if err != nil {
		return nil, err
	}
	c.SetTimeout(timeout)
	return c, nil
}

// ResultCode is the LDAP result code of err: 0 for nil, -1 for an error
// that carries none.
func ResultCode(err error) int {
	if err == nil {
		return 0
	}
	var le *ldap.Error
	if errors.As(err, &le) {
		return int(le.ResultCode)
	}
	return -1
}
