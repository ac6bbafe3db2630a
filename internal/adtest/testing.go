package adtest

import (
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testserver"
)

// StartT starts a DC for one test and stops it in t.Cleanup. It fails the
// test (never skips) when samba cannot start; if the Samba programs are
// missing the message carries the apt-get line. Prefer Shared: a DC takes
// seconds to start and only one runs at a time.
func StartT(t testing.TB, opts ...Options) *DC {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Logf == nil {
		o.Logf = t.Logf
	}
	dc, err := Start(o)
	if err != nil {
		t.Fatalf("adtest: cannot start the AD DC: %v", err)
	}
	t.Cleanup(func() {
		if err := dc.Stop(); err != nil {
			t.Errorf("adtest: stop: %v", err)
		}
	})
	return dc
}

// shared is the test binary's one DC (see Shared).
var shared testserver.Shared[*DC]

// Shared returns the test binary's shared DC, starting it on first use.
// It stays up for the rest of the binary: stop it from TestMain with
// StopShared (or use Main). If a binary exits without that, samba dies
// with it (Pdeathsig, and its stdin closes) and the next Start on the
// machine removes the leftover directory.
//
// Tests that change the sample accounts must undo it (ResetLockoutState,
// SetPassword back) or work on accounts they add themselves (AddUser).
// A failed start is remembered: every later Shared fails the same way at
// once instead of waiting for the lock again.
func Shared(t testing.TB) *DC {
	t.Helper()
	return shared.Get(t, "AD DC", func() (*DC, error) { return Start(Options{Logf: t.Logf}) })
}

// StopShared stops the shared DC if one runs (and forgets a failed start,
// so a later Shared tries again).
func StopShared() error { return shared.Stop() }

// Main is a TestMain for packages that use Shared:
//
//	func TestMain(m *testing.M) { adtest.Main(m) }
func Main(m *testing.M) { shared.Main(m) }
