package directory

import (
	"strings"
	"testing"
	"time"

	ldap "github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// With EqualizeTiming an unknown user costs the same round trips as a
// known user with a wrong password: one search and one (failing) bind, to a
// name under the search base that no entry has. Without it, no bind.
func TestEqualizeTiming(t *testing.T) {
	srv := sharedLDAP(t)
	alice := sampleUser(t, "ALICE")
	for _, on := range []bool{true, false} {
		t.Run(map[bool]string{true: "on", false: "off"}[on], func(t *testing.T) {
			o := searchOptions(t, srv)
			o.EqualizeTiming = on
			d := newDirectory(t, o)
			mustAuthenticate(t, d, "alice", alice.Password) // warms both pools

			before := counters(t, srv)
			if _, err := authenticate(d, "no-such-user", "a-password"); KindOf(err) != KindInvalidCredentials {
				t.Fatalf("unknown user: %v", err)
			}
			unknown := counters(t, srv).Sub(before)
			before = counters(t, srv)
			if _, err := authenticate(d, "alice", "wrong"); KindOf(err) != KindInvalidCredentials {
				t.Fatalf("wrong password: %v", err)
			}
			known := counters(t, srv).Sub(before)

			binds := userBinds(unknown)
			if !on {
				if len(binds) != 0 {
					t.Fatalf("EqualizeTiming off: unknown user sent binds %v", binds)
				}
				return
			}
			if len(binds) != 1 || binds[d.nobodyDN] != 1 || unknown.BindsFailed != 1 {
				t.Fatalf("EqualizeTiming on: binds %v (%d failed), want one failing bind to %s", binds, unknown.BindsFailed, d.nobodyDN)
			}
			if !IsUnder(d.nobodyDN, o.SearchBaseDN) || NormalizeDN(d.nobodyDN) == NormalizeDN(o.SearchBaseDN) {
				t.Fatalf("nobody DN %s is not below the search base", d.nobodyDN)
			}
			if exists(t, srv, d.nobodyDN) {
				t.Fatalf("the nobody DN %s exists", d.nobodyDN)
			}
			if unknown.Binds != known.Binds || unknown.Searches != known.Searches || unknown.Connections != known.Connections {
				t.Fatalf("unknown user cost %+v, known user with a wrong password %+v", unknown, known)
			}
		})
	}
}

func exists(t testing.TB, srv *slapdtest.Server, dn string) bool {
	t.Helper()
	c, err := srv.AdminConn()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false, "(objectClass=*)", []string{"1.1"}, nil))
	if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

// BenchmarkUnknownVsKnownUser times search-then-bind for an unknown user
// and for a known user with a wrong password, alternately, and reports
// both and their ratio (unknown/known, near 1 when equalized).
func BenchmarkUnknownVsKnownUser(b *testing.B) {
	srv := slapdtest.StartT(b, slapdtest.WithoutStats())
	for _, on := range []bool{true, false} {
		b.Run(map[bool]string{true: "equalized", false: "not-equalized"}[on], func(b *testing.B) {
			o := searchOptions(b, srv)
			o.EqualizeTiming = on
			d := newDirectory(b, o)
			mustAuthenticate(b, d, "alice", "alice-pass-1")
			var unknown, known time.Duration
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				_, err := authenticate(d, "no-such-user", "a-password")
				unknown += time.Since(start)
				if KindOf(err) != KindInvalidCredentials {
					b.Fatal(err)
				}
				start = time.Now()
				_, err = authenticate(d, "alice", "wrong")
				known += time.Since(start)
				if KindOf(err) != KindInvalidCredentials || !strings.Contains(err.Error(), "rejected the bind") {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(unknown.Nanoseconds())/float64(b.N), "unknown-ns/op")
			b.ReportMetric(float64(known.Nanoseconds())/float64(b.N), "known-ns/op")
			b.ReportMetric(float64(unknown)/float64(known), "unknown/known")
		})
	}
}
