package redistest

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
)

func TestMissingProgramsFailWithInstallHint(t *testing.T) {
	tests := []struct {
		name    string
		cluster bool
		opts    Options
	}{
		{"redis-server", false, Options{ServerPath: "/nonexistent/redis-server"}},
		{"directory", false, Options{ServerPath: "/usr/bin"}},
		{"cluster redis-server", true, Options{ServerPath: "/nonexistent/redis-server"}},
		{"cluster redis-cli", true, Options{CLIPath: "/nonexistent/redis-cli"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.cluster {
				var c *Cluster
				if c, err = StartCluster(tc.opts); err == nil {
					c.Stop()
				}
			} else {
				var s *Server
				if s, err = Start(tc.opts); err == nil {
					s.Stop()
				}
			}
			if err == nil {
				t.Fatal("start succeeded")
			}
			if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "apt-get install -y --no-install-recommends redis-server") {
				t.Fatalf("error %q lacks the install hint", err)
			}
		})
	}
}

func TestStartTFailsWithInstallHint(t *testing.T) {
	for name, start := range map[string]func(testing.TB){
		"StartT":        func(tb testing.TB) { StartT(tb, WithOptions(Options{ServerPath: "/nonexistent/redis-server"})) },
		"StartClusterT": func(tb testing.TB) { StartClusterT(tb, WithOptions(Options{CLIPath: "/nonexistent/redis-cli"})) },
	} {
		t.Run(name, func(t *testing.T) {
			msg, _ := testutil.CatchFatal(t, start)
			if !strings.Contains(msg, "apt-get install -y --no-install-recommends redis-server") {
				t.Fatalf("message %q lacks the install hint", msg)
			}
		})
	}
}

// A server that cannot start shows its own output in the error.
func TestStartFailureShowsServerOutput(t *testing.T) {
	s := StartT(t)
	// A second server on the same port must fail; the harness retries with
	// new ports, so force the collision through a fixed pick.
	other := newServer(Options{}.withDefaults(), t.TempDir(), false)
	err := other.firstStart(func() (int, *clusterNode, error) { return s.Port(), nil, nil })
	if err == nil {
		other.Stop()
		t.Fatal("second server on a taken port started")
	}
	if !strings.Contains(err.Error(), "already in use") || !strings.Contains(err.Error(), "redis-server output") {
		t.Fatalf("error does not show the server's reason: %v", err)
	}
}

// A test binary that dies without Stop must not leave redis-server behind:
// the helper process (see TestMain) starts a server and exits abruptly.
func TestServerDiesWithTestBinary(t *testing.T) {
	pid, dir := testutil.AbandonedServer(t, "^$", "REDISTEST_HELPER=1")
	t.Cleanup(func() { os.RemoveAll(dir) })
	testutil.WaitGone(t, pid, 5*time.Second)
}
