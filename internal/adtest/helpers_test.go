package adtest

import (
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/ldaptest"
)

// dial connects over tr, verifying the DC's certificate for the TLS
// transports.
func dial(t testing.TB, dc *DC, tr ldaptest.Transport) *ldap.Conn {
	t.Helper()
	c, err := ldaptest.Dial(tr, dc.LDAPURL(), dc.LDAPSURL(), dc.ClientTLSConfig(), 10*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", tr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// bind dials over tr, binds and returns the bind error.
func bind(t testing.TB, dc *DC, tr ldaptest.Transport, name, password string) error {
	t.Helper()
	c := dial(t, dc, tr)
	defer c.Close()
	return c.Bind(name, password)
}

// boundConn returns an LDAPS connection bound as (name, password).
func boundConn(t testing.TB, dc *DC, name, password string) *ldap.Conn {
	t.Helper()
	c := dial(t, dc, ldaptest.LDAPS)
	if err := c.Bind(name, password); err != nil {
		t.Fatalf("bind %s: %v", name, err)
	}
	return c
}

// sampleUser fails the test if key is unknown.
func sampleUser(t testing.TB, key string) SampleUser {
	t.Helper()
	u, ok := SampleUserByKey(key)
	if !ok {
		t.Fatalf("no sample user %q", key)
	}
	return u
}

// normDNs lower-cases and sorts DNs for set comparison (AD compares DNs
// case-insensitively and returns them as stored).
func normDNs(dns []string) []string {
	out := make([]string, len(dns))
	for i, d := range dns {
		out[i] = strings.ToLower(d)
	}
	sort.Strings(out)
	return out
}

func sameDNs(got, want []string) bool { return slices.Equal(normDNs(got), normDNs(want)) }

func entryDNs(entries []*ldap.Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.DN
	}
	return out
}

// search runs a search on c and fails the test on error.
func search(t testing.TB, c *ldap.Conn, base string, scope int, filter string, attrs ...string) *ldap.SearchResult {
	t.Helper()
	res, err := c.Search(ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases, 0, 0, false, filter, attrs, nil))
	if err != nil {
		t.Fatalf("search %s %s: %v", base, filter, err)
	}
	return res
}
