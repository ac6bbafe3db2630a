package directory

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	ldap "github.com/go-ldap/ldap/v3"
)

// ErrProbeInconclusive is returned by OwnAttributeWritable when the
// directory's answer says neither yes nor no.
var ErrProbeInconclusive = errors.New("the directory's answer does not tell whether the attribute is writable")

// OwnAttributeWritable asks the directory whether the user whose entry is
// dn, bound with password, may change attr on that entry. Neither slapd
// nor Active Directory has a read-only way to ask for every deployment, so
// it tries a change that cannot succeed: deleting a random value the
// attribute does not hold. Both check access rights before they look for
// the value, so "no such value" (noSuchAttribute) means the write was
// allowed, and insufficientAccessRights means it was not. Nothing changes
// either way. It uses the first server (configured or discovered); it is meant for the check
// command, not for requests.
func (d *Directory) OwnAttributeWritable(ctx context.Context, dn, password, attr string) (bool, error) {
	if dn == "" || password == "" || attr == "" {
		return false, errors.New("a DN, a password and an attribute are needed")
	}
	var nonce [12]byte
	_, _ = rand.Read(nonce[:])
	probe := "ldapauth-write-probe-" + hex.EncodeToString(nonce[:])
	ctx, cancel := context.WithTimeout(ctx, d.opts.DialTimeout+d.opts.RequestTimeout)
	defer cancel()
	eps, err := d.currentEndpoints(ctx)
	if err != nil {
		return false, err
	}
	if len(eps) == 0 {
		return false, errors.New("no directory server to ask")
	}
	var writable bool
	err = d.withConn(ctx, eps[0].user, func(c *ldap.Conn) error {
		if err := d.bindUser(ctx, c, dn, password); err != nil {
			return err
		}
		d.setOpTimeout(ctx, c)
		req := ldap.NewModifyRequest(dn, nil)
		req.Delete(attr, []string{probe})
		err := c.Modify(req)
		if isTransport(err) {
			return err
		}
		switch resultCode(err) {
		case ldap.LDAPResultNoSuchAttribute:
			writable = true
			return nil
		case ldap.LDAPResultInsufficientAccessRights:
			return nil
		case ldap.LDAPResultSuccess:
			return fmt.Errorf("%w: deleting a value %s does not hold succeeded", ErrProbeInconclusive, attr)
		}
		return fmt.Errorf("%w: %v", ErrProbeInconclusive, err)
	})
	return writable, err
}
