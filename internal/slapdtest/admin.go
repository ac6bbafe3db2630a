package slapdtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testproc"
)

// adminTimeout bounds every harness operation.
const adminTimeout = 10 * time.Second

// load applies the data files, the password policy entry (if any) and
// Options.ExtraLDIF in one ldapmodify run, online, so the memberof overlay
// sees the groups being added.
func (s *Server) load(files []string) error {
	var all bytes.Buffer
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		all.Write(b)
		all.WriteString("\n\n") // records must be separated by a blank line
	}
	// The policy entry lives under the suffix: after the data, or after
	// ExtraLDIF when that is what creates the suffix.
	if !s.opts.NoData {
		all.WriteString(s.opts.passwordPolicyLDIF())
	}
	all.WriteString(s.opts.ExtraLDIF)
	if s.opts.NoData {
		all.WriteString(s.opts.passwordPolicyLDIF())
	}
	if strings.TrimSpace(all.String()) == "" {
		return nil
	}
	return s.ApplyLDIF(all.String())
}

// ApplyLDIF runs ldapmodify -a as the rootdn over the private socket:
// records without changetype are added, others (modify, delete, modrdn)
// are applied as written. It stops at the first failing record.
func (s *Server) ApplyLDIF(ldif string) error {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.opts.LDAPModifyPath, "-a", "-x",
		"-H", s.LDAPIURL(), "-D", RootDN, "-y", s.pwFile)
	cmd.Stdin = strings.NewReader(ldif)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = testproc.SysProcAttr()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("slapdtest: ldapmodify: %v\n%s", err, strings.TrimSpace(out.String()))
	}
	return nil
}

// AdminConn returns a connection bound as the rootdn over the private
// ldapi socket. Its operations bypass ACLs and are not counted by
// Counters. The caller closes it.
func (s *Server) AdminConn() (*ldap.Conn, error) {
	c, err := s.dialAdmin(adminTimeout)
	if err != nil {
		return nil, fmt.Errorf("slapdtest: admin connection: %w", err)
	}
	return c, nil
}

func (s *Server) withAdmin(f func(*ldap.Conn) error) error {
	c, err := s.AdminConn()
	if err != nil {
		return err
	}
	defer c.Close()
	return f(c)
}

// SetPassword replaces the userPassword of dn (stored as {SSHA}).
func (s *Server) SetPassword(dn, newPassword string) error {
	hash, err := sshaHash(newPassword)
	if err != nil {
		return err
	}
	return s.withAdmin(func(c *ldap.Conn) error {
		req := ldap.NewModifyRequest(dn, nil)
		req.Replace("userPassword", []string{hash})
		return c.Modify(req)
	})
}

// NewUser describes an entry for AddUser. Only UID is required.
type NewUser struct {
	UID      string
	Password string // empty: no userPassword (the user cannot bind)
	CN       string // default: UID
	SN       string // default: UID
	Mail     string // default: UID@example.org
	ParentDN string // default: PeopleDN
	// UIDNumber default: a fresh number from 20000 up. GIDNumber default 5100.
	UIDNumber int
	GIDNumber int
}

// AddUser adds an inetOrgPerson + posixAccount entry named
// uid=<escaped UID>,<ParentDN> and returns its DN.
func (s *Server) AddUser(u NewUser) (string, error) {
	if u.UID == "" {
		return "", fmt.Errorf("slapdtest: AddUser needs a UID")
	}
	if u.CN == "" {
		u.CN = u.UID
	}
	if u.SN == "" {
		u.SN = u.UID
	}
	if u.Mail == "" {
		u.Mail = u.UID + "@example.org"
	}
	if u.ParentDN == "" {
		u.ParentDN = PeopleDN
	}
	if u.UIDNumber == 0 {
		u.UIDNumber = int(s.nextUID.Add(1))
	}
	if u.GIDNumber == 0 {
		u.GIDNumber = 5100
	}
	dn := "uid=" + ldap.EscapeDN(u.UID) + "," + u.ParentDN
	req := ldap.NewAddRequest(dn, nil)
	req.Attribute("objectClass", []string{"inetOrgPerson", "posixAccount"})
	req.Attribute("uid", []string{u.UID})
	req.Attribute("cn", []string{u.CN})
	req.Attribute("sn", []string{u.SN})
	req.Attribute("mail", []string{u.Mail})
	req.Attribute("uidNumber", []string{strconv.Itoa(u.UIDNumber)})
	req.Attribute("gidNumber", []string{strconv.Itoa(u.GIDNumber)})
	req.Attribute("homeDirectory", []string{"/home/" + u.UID})
	if u.Password != "" {
		hash, err := sshaHash(u.Password)
		if err != nil {
			return "", err
		}
		req.Attribute("userPassword", []string{hash})
	}
	if err := s.withAdmin(func(c *ldap.Conn) error { return c.Add(req) }); err != nil {
		return "", err
	}
	return dn, nil
}

// AddToGroup adds memberDN to groupDN, using the attribute the group's
// class needs: member (groupOfNames), uniqueMember (groupOfUniqueNames) or
// memberUid (posixGroup; the member entry's uid).
func (s *Server) AddToGroup(groupDN, memberDN string) error {
	return s.changeMembership(groupDN, memberDN, true)
}

// RemoveFromGroup undoes AddToGroup.
func (s *Server) RemoveFromGroup(groupDN, memberDN string) error {
	return s.changeMembership(groupDN, memberDN, false)
}

func (s *Server) changeMembership(groupDN, memberDN string, add bool) error {
	return s.withAdmin(func(c *ldap.Conn) error {
		classes, err := readAttr(c, groupDN, "objectClass")
		if err != nil {
			return err
		}
		attr, value := "", memberDN
		switch {
		case containsFold(classes, "groupOfNames"):
			attr = "member"
		case containsFold(classes, "groupOfUniqueNames"):
			attr = "uniqueMember"
		case containsFold(classes, "posixGroup"):
			attr = "memberUid"
			uids, err := readAttr(c, memberDN, "uid")
			if err != nil {
				return err
			}
			if len(uids) == 0 {
				return fmt.Errorf("slapdtest: %s has no uid for posixGroup %s", memberDN, groupDN)
			}
			value = uids[0]
		default:
			return fmt.Errorf("slapdtest: %s is not a group (objectClass %v)", groupDN, classes)
		}
		req := ldap.NewModifyRequest(groupDN, nil)
		if add {
			req.Add(attr, []string{value})
		} else {
			req.Delete(attr, []string{value})
		}
		return c.Modify(req)
	})
}

func readAttr(c *ldap.Conn, dn, attr string) ([]string, error) {
	res, err := c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		0, 0, false, "(objectClass=*)", []string{attr}, nil))
	if err != nil {
		return nil, fmt.Errorf("slapdtest: read %s of %s: %w", attr, dn, err)
	}
	if len(res.Entries) != 1 {
		return nil, fmt.Errorf("slapdtest: %s: %d entries", dn, len(res.Entries))
	}
	return res.Entries[0].GetAttributeValues(attr), nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// DeleteEntry deletes one (leaf) entry. The memberof overlay removes it
// from the groupOfNames groups it was in.
func (s *Server) DeleteEntry(dn string) error {
	return s.withAdmin(func(c *ldap.Conn) error {
		return c.Del(ldap.NewDelRequest(dn, nil))
	})
}
