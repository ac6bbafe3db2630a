package redistest

import (
	"os"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
)

// TestMain doubles as the helper process of TestServerDiesWithTestBinary:
// with REDISTEST_HELPER=1 it starts a server, reports it and exits without
// Stop, so Pdeathsig alone must end the server.
func TestMain(m *testing.M) {
	if os.Getenv("REDISTEST_HELPER") == "1" {
		s, err := Start(Options{})
		if err != nil {
			testutil.AbandonServer(0, "", err)
		}
		testutil.AbandonServer(s.PID(), s.Dir(), nil)
	}
	os.Exit(m.Run())
}
