package slapdtest

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// PoliciesDN holds the password policy entry of a server started with
// WithPasswordPolicy.
const PoliciesDN = "ou=policies," + BaseDN

// PasswordPolicyDN is the policy every account gets (ppolicy_default).
const PasswordPolicyDN = "cn=default," + PoliciesDN

// PasswordPolicy turns on OpenLDAP's ppolicy overlay (draft-behera password
// policy) with one default policy for every account. slapd 2.5 carries the
// pwdPolicy schema inside the overlay, so no schema file is included.
//
// The policy sets pwdLockout and pwdMustChange, and slapd runs with
// ppolicy_use_lockout, so a bind with the password policy request control
// learns that an account is locked (accountLocked), that its password has
// expired (passwordExpired), or that it must be changed (changeAfterReset).
type PasswordPolicy struct {
	// MaxFailure is pwdMaxFailure: consecutive failed binds that lock the
	// account. Zero: 3.
	MaxFailure int
	// LockoutDuration is pwdLockoutDuration, whole seconds. Zero: one hour.
	LockoutDuration time.Duration
	// MaxAge is pwdMaxAge, whole seconds: how long a password stays valid
	// after it was set. Zero: one day.
	MaxAge time.Duration
}

// WithPasswordPolicy loads the ppolicy overlay with the policy p.
func WithPasswordPolicy(p PasswordPolicy) Option {
	return func(o *Options) { o.PasswordPolicy = &p }
}

// ErrNoPasswordPolicy is returned by the password policy helpers on a
// server started without WithPasswordPolicy.
var ErrNoPasswordPolicy = errors.New("slapdtest: the server has no password policy (start it with WithPasswordPolicy)")

func (p PasswordPolicy) withDefaults() PasswordPolicy {
	if p.MaxFailure <= 0 {
		p.MaxFailure = 3
	}
	if p.LockoutDuration <= 0 {
		p.LockoutDuration = time.Hour
	}
	if p.MaxAge <= 0 {
		p.MaxAge = 24 * time.Hour
	}
	return p
}

// passwordPolicyDN is what slapd.conf names as ppolicy_default, or "" when
// the overlay is off.
func (o Options) passwordPolicyDN() string {
	if o.PasswordPolicy == nil {
		return ""
	}
	return PasswordPolicyDN
}

// passwordPolicyLDIF adds the policy entry (under PoliciesDN) that
// ppolicy_default points at. It is loaded after the data, which holds the
// suffix entry.
func (o Options) passwordPolicyLDIF() string {
	if o.PasswordPolicy == nil {
		return ""
	}
	p := o.PasswordPolicy.withDefaults()
	return "\n\ndn: " + PoliciesDN + "\nobjectClass: organizationalUnit\nou: policies\n\n" +
		"dn: " + PasswordPolicyDN + "\n" +
		"objectClass: organizationalRole\nobjectClass: pwdPolicy\ncn: default\n" +
		"pwdAttribute: userPassword\n" +
		"pwdMaxFailure: " + strconv.Itoa(p.MaxFailure) + "\n" +
		"pwdLockout: TRUE\n" +
		"pwdLockoutDuration: " + seconds(p.LockoutDuration) + "\n" +
		"pwdMaxAge: " + seconds(p.MaxAge) + "\n" +
		"pwdMustChange: TRUE\n\n"
}

func seconds(d time.Duration) string {
	return strconv.FormatInt(int64(max(d/time.Second, 1)), 10)
}

// relaxControl is OpenLDAP's Relax Rules control: it lets the rootdn write
// operational attributes the overlay otherwise maintains alone
// (pwdChangedTime has NO-USER-MODIFICATION).
func relaxControl() ldap.Control {
	return ldap.NewControlString("1.3.6.1.4.1.4203.666.5.12", true, "")
}

// generalizedTime formats t the way the ppolicy attributes hold it.
func generalizedTime(t time.Time) string { return t.UTC().Format("20060102150405Z") }

// ExpirePassword backdates the password of dn beyond the policy's MaxAge,
// so its next bind gets passwordExpired (with no grace logins configured,
// the bind fails with invalid credentials).
func (s *Server) ExpirePassword(dn string) error {
	if s.opts.PasswordPolicy == nil {
		return ErrNoPasswordPolicy
	}
	p := s.opts.PasswordPolicy.withDefaults()
	changed := time.Now().Add(-p.MaxAge - time.Hour)
	return s.withAdmin(func(c *ldap.Conn) error {
		req := ldap.NewModifyRequest(dn, []ldap.Control{relaxControl()})
		req.Replace("pwdChangedTime", []string{generalizedTime(changed)})
		return c.Modify(req)
	})
}

// RequirePasswordChange sets pwdReset on dn, as an administrator's password
// reset does: the next bind succeeds but reports changeAfterReset, and the
// account may do nothing but change its password.
func (s *Server) RequirePasswordChange(dn string) error {
	if s.opts.PasswordPolicy == nil {
		return ErrNoPasswordPolicy
	}
	return s.withAdmin(func(c *ldap.Conn) error {
		req := ldap.NewModifyRequest(dn, nil)
		req.Replace("pwdReset", []string{"TRUE"})
		return c.Modify(req)
	})
}

// AccountLocked reports whether the overlay has locked dn
// (pwdAccountLockedTime is set).
func (s *Server) AccountLocked(dn string) (bool, error) {
	if s.opts.PasswordPolicy == nil {
		return false, ErrNoPasswordPolicy
	}
	var locked bool
	err := s.withAdmin(func(c *ldap.Conn) error {
		values, err := readAttr(c, dn, "pwdAccountLockedTime")
		if err != nil {
			return err
		}
		locked = len(values) > 0
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("slapdtest: lock state of %s: %w", dn, err)
	}
	return locked, nil
}

// PasswordFailures reports how many failed binds the overlay has recorded
// for dn (the values of pwdFailureTime).
func (s *Server) PasswordFailures(dn string) (int, error) {
	if s.opts.PasswordPolicy == nil {
		return 0, ErrNoPasswordPolicy
	}
	var n int
	err := s.withAdmin(func(c *ldap.Conn) error {
		values, err := readAttr(c, dn, "pwdFailureTime")
		n = len(values)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("slapdtest: failure count of %s: %w", dn, err)
	}
	return n, nil
}
