package slapdtest

import (
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testserver"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
)

// StartT starts a server for a test and stops it in t.Cleanup. It fails
// the test (never skips) when slapd cannot start; if the OpenLDAP programs
// are missing the message says to run apt-get install -y slapd ldap-utils.
func StartT(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var o Options
	for _, f := range opts {
		f(&o)
	}
	s, err := Start(o)
	if err != nil {
		t.Fatalf("slapdtest: cannot start slapd: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("slapdtest: stop: %v", err)
		}
	})
	return s
}

// ClosedPortURL returns an ldap:// URL on a loopback port nobody listens
// on: a directory server that refuses connections.
func ClosedPortURL(t testing.TB) string {
	t.Helper()
	return "ldap://" + testutil.ClosedAddr(t)
}

// shared is the test binary's one sample-directory server (see Shared).
var shared testserver.Shared[*Server]

// Shared returns a sample-directory server shared by every test of the
// binary that only reads it, started on first use; tests that kill,
// freeze or modify a server start their own with StartT. Stop it from
// TestMain with Main.
func Shared(t testing.TB) *Server {
	t.Helper()
	return shared.Get(t, "slapd", func() (*Server, error) { return Start(Options{}) })
}

// Main is a TestMain for packages that use Shared:
//
//	func TestMain(m *testing.M) { slapdtest.Main(m) }
func Main(m *testing.M) { shared.Main(m) }

// ModuleRootT is FindModuleRoot for a test: the module root, found from
// the package directory the test runs in (runtime.Caller paths are
// module-relative under -trimpath), or a failed test.
func ModuleRootT(t testing.TB) string {
	t.Helper()
	dir, err := FindModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
