package adtest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// The admin helpers work online, over LDAPS as Administrator, the way an
// AD administrator's tools do. They are safe while samba runs (samba-tool
// -H tdb:// would write the database behind the server's back) and work
// on any DC.

// adminTimeout bounds every admin operation.
const adminTimeout = 10 * time.Second

// ErrNoSuchUser is returned when no account has the sAMAccountName.
var ErrNoSuchUser = errors.New("adtest: no such user")

// AdminConn returns a connection over LDAPS bound as Administrator. The
// caller closes it.
func (dc *DC) AdminConn() (*ldap.Conn, error) {
	c, err := dc.dialAdmin(adminTimeout)
	if err != nil {
		return nil, fmt.Errorf("adtest: admin connection: %w", err)
	}
	return c, nil
}

func (dc *DC) withAdmin(f func(*ldap.Conn) error) error {
	c, err := dc.AdminConn()
	if err != nil {
		return err
	}
	defer c.Close()
	return f(c)
}

// userEntry finds the account whose sAMAccountName is user.
func userEntry(c *ldap.Conn, user string, attrs ...string) (*ldap.Entry, error) {
	res, err := c.Search(ldap.NewSearchRequest(BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 2, 0, false,
		fmt.Sprintf("(&(objectClass=user)(sAMAccountName=%s))", ldap.EscapeFilter(user)), attrs, nil))
	if err != nil {
		return nil, fmt.Errorf("adtest: find %q: %w", user, err)
	}
	switch len(res.Entries) {
	case 0:
		return nil, fmt.Errorf("%w: %q", ErrNoSuchUser, user)
	case 1:
		return res.Entries[0], nil
	default:
		return nil, fmt.Errorf("adtest: %d accounts named %q", len(res.Entries), user)
	}
}

// UserDN returns the DN of the account whose sAMAccountName is user.
func (dc *DC) UserDN(user string) (string, error) {
	var dn string
	err := dc.withAdmin(func(c *ldap.Conn) error {
		e, err := userEntry(c, user)
		if err == nil {
			dn = e.DN
		}
		return err
	})
	return dn, err
}

// intAttr reads one integer attribute of user (0 when absent).
func (dc *DC) intAttr(user, attr string) (int64, error) {
	var v int64
	err := dc.withAdmin(func(c *ldap.Conn) error {
		e, err := userEntry(c, user, attr)
		if err != nil {
			return err
		}
		s := e.GetAttributeValue(attr)
		if s == "" {
			return nil
		}
		v, err = strconv.ParseInt(s, 10, 64)
		return err
	})
	return v, err
}

// BadPwdCount is the account's badPwdCount: wrong passwords since the last
// good bind, within the observation window (LockoutObservationWindow).
func (dc *DC) BadPwdCount(user string) (int, error) {
	v, err := dc.intAttr(user, "badPwdCount")
	return int(v), err
}

// LockoutTime is the account's lockoutTime (FILETIME; 0 = not locked).
func (dc *DC) LockoutTime(user string) (int64, error) {
	return dc.intAttr(user, "lockoutTime")
}

// modifyUser applies one change to the account named user.
func (dc *DC) modifyUser(user string, change func(*ldap.ModifyRequest)) error {
	return dc.withAdmin(func(c *ldap.Conn) error {
		e, err := userEntry(c, user)
		if err != nil {
			return err
		}
		req := ldap.NewModifyRequest(e.DN, nil)
		change(req)
		if err := c.Modify(req); err != nil {
			return fmt.Errorf("adtest: modify %s: %w", e.DN, err)
		}
		return nil
	})
}

// Unlock clears a lockout (lockoutTime 0, as an administrator's "unlock
// account" does; AD then also resets badPwdCount).
func (dc *DC) Unlock(user string) error {
	return dc.modifyUser(user, func(r *ldap.ModifyRequest) { r.Replace("lockoutTime", []string{"0"}) })
}

// ResetLockoutState unlocks user and checks that badPwdCount and
// lockoutTime are both 0 afterwards, so a test starts from a clean count.
func (dc *DC) ResetLockoutState(user string) error {
	if err := dc.Unlock(user); err != nil {
		return err
	}
	n, err := dc.BadPwdCount(user)
	if err != nil {
		return err
	}
	lt, err := dc.LockoutTime(user)
	if err != nil {
		return err
	}
	if n != 0 || lt != 0 {
		return fmt.Errorf("adtest: %q still has badPwdCount %d, lockoutTime %d after unlock", user, n, lt)
	}
	return nil
}

// SetPassword sets user's password as an administrator's reset does
// (no old password; pwdLastSet becomes now).
func (dc *DC) SetPassword(user, password string) error {
	return dc.modifyUser(user, func(r *ldap.ModifyRequest) {
		r.Replace("unicodePwd", []string{string(unicodePwdValue(password))})
	})
}

// SetDisabled sets or clears ACCOUNTDISABLE in user's userAccountControl.
func (dc *DC) SetDisabled(user string, disabled bool) error {
	uac, err := dc.intAttr(user, "userAccountControl")
	if err != nil {
		return err
	}
	if disabled {
		uac |= uacAccountDisable
	} else {
		uac &^= uacAccountDisable
	}
	return dc.modifyUser(user, func(r *ldap.ModifyRequest) {
		r.Replace("userAccountControl", []string{strconv.FormatInt(uac, 10)})
	})
}

// NewUser describes an account for AddUser.
type NewUser struct {
	// SAMAccountName is required (at most 20 characters).
	SAMAccountName string
	// Password is required.
	Password string
	// UPN defaults to SAMAccountName@corp.example.org.
	UPN string
	// CN (the RDN) defaults to SAMAccountName.
	CN string
	// ParentDN defaults to PeopleDN.
	ParentDN string
	// Groups are DNs of groups to add the account to.
	Groups []string
	// Disabled sets ACCOUNTDISABLE; MustChangePassword sets pwdLastSet 0.
	Disabled           bool
	MustChangePassword bool
}

// AddUser creates an enabled user account (unless Disabled) and returns
// its DN.
func (dc *DC) AddUser(u NewUser) (string, error) {
	if u.SAMAccountName == "" || u.Password == "" {
		return "", errors.New("adtest: AddUser needs SAMAccountName and Password")
	}
	if u.UPN == "" {
		u.UPN = u.SAMAccountName + "@" + DNSDomain
	}
	if u.CN == "" {
		u.CN = u.SAMAccountName
	}
	if u.ParentDN == "" {
		u.ParentDN = PeopleDN
	}
	dn := "CN=" + ldap.EscapeDN(u.CN) + "," + u.ParentDN
	uac := uacNormalAccount
	if u.Disabled {
		uac |= uacAccountDisable
	}
	err := dc.withAdmin(func(c *ldap.Conn) error {
		req := ldap.NewAddRequest(dn, nil)
		req.Attribute("objectClass", []string{"user"})
		req.Attribute("sAMAccountName", []string{u.SAMAccountName})
		req.Attribute("userPrincipalName", []string{u.UPN})
		req.Attribute("unicodePwd", []string{string(unicodePwdValue(u.Password))})
		req.Attribute("userAccountControl", []string{strconv.Itoa(uac)})
		if u.MustChangePassword {
			req.Attribute("pwdLastSet", []string{"0"})
		}
		if err := c.Add(req); err != nil {
			return fmt.Errorf("adtest: add %s: %w", dn, err)
		}
		for _, g := range u.Groups {
			if err := addMember(c, g, dn); err != nil {
				return err
			}
		}
		return nil
	})
	return dn, err
}

// AddGroup creates a global security group and returns its DN; parentDN
// defaults to GroupsDN.
func (dc *DC) AddGroup(samAccountName, parentDN string, memberDNs ...string) (string, error) {
	if parentDN == "" {
		parentDN = GroupsDN
	}
	dn := "CN=" + ldap.EscapeDN(samAccountName) + "," + parentDN
	err := dc.withAdmin(func(c *ldap.Conn) error {
		req := ldap.NewAddRequest(dn, nil)
		req.Attribute("objectClass", []string{"group"})
		req.Attribute("sAMAccountName", []string{samAccountName})
		if len(memberDNs) > 0 {
			req.Attribute("member", memberDNs)
		}
		if err := c.Add(req); err != nil {
			return fmt.Errorf("adtest: add %s: %w", dn, err)
		}
		return nil
	})
	return dn, err
}

func addMember(c *ldap.Conn, groupDN, memberDN string) error {
	req := ldap.NewModifyRequest(groupDN, nil)
	req.Add("member", []string{memberDN})
	if err := c.Modify(req); err != nil {
		return fmt.Errorf("adtest: add %s to %s: %w", memberDN, groupDN, err)
	}
	return nil
}

// AddToGroup adds memberDN (a user or a group) to groupDN.
func (dc *DC) AddToGroup(groupDN, memberDN string) error {
	return dc.withAdmin(func(c *ldap.Conn) error { return addMember(c, groupDN, memberDN) })
}

// RemoveFromGroup removes memberDN from groupDN.
func (dc *DC) RemoveFromGroup(groupDN, memberDN string) error {
	return dc.withAdmin(func(c *ldap.Conn) error {
		req := ldap.NewModifyRequest(groupDN, nil)
		req.Delete("member", []string{memberDN})
		if err := c.Modify(req); err != nil {
			return fmt.Errorf("adtest: remove %s from %s: %w", memberDN, groupDN, err)
		}
		return nil
	})
}

// DeleteEntry deletes dn (a leaf: an account or an empty group).
func (dc *DC) DeleteEntry(dn string) error {
	return dc.withAdmin(func(c *ldap.Conn) error {
		if err := c.Del(ldap.NewDelRequest(dn, nil)); err != nil {
			return fmt.Errorf("adtest: delete %s: %w", dn, err)
		}
		return nil
	})
}

// Diagnostic extracts the "data XXX" code of an AD bind error (e.g. "52e"
// for a wrong password, "775" for a locked account); "" if there is none.
func Diagnostic(err error) string {
	var le *ldap.Error
	if !errors.As(err, &le) || le.Err == nil {
		return ""
	}
	msg := le.Err.Error()
	i := strings.Index(msg, ", data ")
	if i < 0 {
		return ""
	}
	rest := msg[i+len(", data "):]
	if j := strings.IndexByte(rest, ','); j >= 0 {
		rest = rest[:j]
	}
	return strings.TrimSpace(rest)
}
