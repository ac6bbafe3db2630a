package redistest

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

func itoa(n int) string { return strconv.Itoa(n) }

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
			rec := &fatalRecorder{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				start(rec)
			}()
			<-done
			if !strings.Contains(rec.msg, "apt-get install -y --no-install-recommends redis-server") {
				t.Fatalf("message %q lacks the install hint", rec.msg)
			}
		})
	}
}

// A server that cannot start shows its own output in the error.
func TestStartFailureShowsServerOutput(t *testing.T) {
	s := StartT(t)
	// A second server on the same port must fail; the harness retries with
	// new ports, so force the collision through a fixed pick.
	other := &Server{opts: Options{}.withDefaults(), dir: t.TempDir()}
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
// the helper process below starts a server and exits abruptly.
func TestServerDiesWithTestBinary(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "REDISTEST_HELPER=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	var dir string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "HELPER" {
			pid, _ = strconv.Atoi(f[1])
			dir = f[2]
		}
	}
	_ = cmd.Wait()
	if pid == 0 {
		t.Fatal("helper did not report a redis-server pid")
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	waitGone(t, pid)
}
