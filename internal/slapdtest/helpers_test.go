package slapdtest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/ldaptest"
)

// dial connects over tr, verifying the server against caPEM for the TLS
// transports.
func dial(s *Server, tr ldaptest.Transport, caPEM []byte) (*ldap.Conn, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("bad CA PEM")
	}
	cfg := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	return ldaptest.Dial(tr, s.URL(), s.LDAPSURL(), cfg, 5*time.Second)
}

// bindOnce dials, binds and closes; it returns the bind error.
func bindOnce(t testing.TB, s *Server, tr ldaptest.Transport, dn, pw string) error {
	t.Helper()
	c, err := dial(s, tr, s.CAPEM())
	if err != nil {
		t.Fatalf("dial %s: %v", tr, err)
	}
	defer c.Close()
	return c.Bind(dn, pw)
}

// counters fails the test if Counters fails.
func counters(t testing.TB, s *Server) Counts {
	t.Helper()
	c, err := s.Counters()
	if err != nil {
		t.Fatalf("Counters: %v", err)
	}
	return c
}

// search runs a subtree search as (dn, pw) over the plain listener.
func search(t testing.TB, s *Server, dn, pw, base, filter string, attrs ...string) []*ldap.Entry {
	t.Helper()
	return searchScope(t, s, dn, pw, base, ldap.ScopeWholeSubtree, filter, attrs...)
}

// searchScope runs a search as (dn, pw); "no such object" and "insufficient
// access" (how slapd hides what an identity may not see) give no entries.
func searchScope(t testing.TB, s *Server, dn, pw, base string, scope int, filter string, attrs ...string) []*ldap.Entry {
	t.Helper()
	c, err := dial(s, ldaptest.Plain, s.CAPEM())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	if dn != "" {
		if err := c.Bind(dn, pw); err != nil {
			t.Fatalf("bind %s: %v", dn, err)
		}
	}
	res, err := c.Search(ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases,
		0, 0, false, filter, attrs, nil))
	if err != nil {
		if code := ldaptest.ResultCode(err); code == ldap.LDAPResultNoSuchObject || code == ldap.LDAPResultInsufficientAccessRights {
			return nil
		}
		t.Fatalf("search %s %s as %q: %v", base, filter, dn, err)
	}
	return res.Entries
}

func dns(entries []*ldap.Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.DN
	}
	return out
}

// sameDNs compares DN lists as sets of DNs (slapd may return an escaped
// comma as \2C where the LDIF wrote \,).
func sameDNs(t testing.TB, got, want []string) bool {
	t.Helper()
	if len(got) != len(want) {
		return false
	}
	used := make([]bool, len(got))
next:
	for _, w := range want {
		wdn, err := ldap.ParseDN(w)
		if err != nil {
			t.Fatalf("parse %q: %v", w, err)
		}
		for i, g := range got {
			gdn, err := ldap.ParseDN(g)
			if err != nil {
				t.Fatalf("parse %q: %v", g, err)
			}
			if !used[i] && gdn.EqualFold(wdn) {
				used[i] = true
				continue next
			}
		}
		return false
	}
	return true
}

// findDN returns the entry whose DN equals dn (semantically), or nil.
func findDN(t testing.TB, entries []*ldap.Entry, dn string) *ldap.Entry {
	t.Helper()
	for _, e := range entries {
		if sameDNs(t, []string{e.DN}, []string{dn}) {
			return e
		}
	}
	return nil
}
