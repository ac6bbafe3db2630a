package redistest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testproc"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testserver"
)

// stopGrace is how long Stop and Restart wait for redis-server to exit on
// SIGTERM before killing it.
const stopGrace = 10 * time.Second

// pingTimeout bounds one readiness probe or Do call.
const pingTimeout = 2 * time.Second

// ErrNotRunning is returned by operations that need a live server.
var ErrNotRunning = errors.New("redistest: redis-server is not running")

// Server is one redis-server with its own directory and port. Its methods
// are safe for concurrent use.
type Server struct {
	opts     Options
	dir      string
	ownsDir  bool // false for cluster nodes: the Cluster removes its root
	confPath string
	// port and cluster are chosen before each first-start attempt (under
	// run's lock) and fixed once the server has started.
	port    int
	tlsPort int          // 0 without Options.TLS
	cluster *clusterNode // nil for a stand-alone server
	run     *testserver.Supervisor
}

// clusterNode holds what a cluster member adds to the command line.
type clusterNode struct {
	busPort    int
	configFile string
}

func newServer(opts Options, dir string, ownsDir bool) *Server {
	s := &Server{opts: opts, dir: dir, ownsDir: ownsDir}
	s.run = testserver.NewSupervisor(testserver.Config{
		Package: "redistest", Program: "redis-server", Grace: stopGrace,
		ErrNotRunning: ErrNotRunning, Run: s.startProcess,
	})
	return s
}

// Start starts a stand-alone redis-server on a free loopback port and waits
// until it answers PING. Call Stop when done.
func Start(opts Options) (*Server, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := testserver.CheckPrograms(ErrNotInstalled, opts.ServerPath); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "redistest-")
	if err != nil {
		return nil, err
	}
	s := newServer(opts, dir, true)
	if err := s.firstStart(func() (int, *clusterNode, error) {
		n := 1
		if opts.TLS != nil {
			n = 2
		}
		ports, err := testserver.FreePorts(n)
		if err != nil {
			return 0, nil, fmt.Errorf("redistest: %w", err)
		}
		if opts.TLS != nil {
			s.tlsPort = ports[1]
		}
		return ports[0], nil, nil
	}); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// firstStart writes the configuration file and starts the server on the
// ports pick returns (new ones for each attempt, see
// testserver.Supervisor.Start).
func (s *Server) firstStart(pick func() (int, *clusterNode, error)) error {
	if err := s.writeConf(); err != nil {
		return err
	}
	return s.run.Start(func() error {
		port, node, err := pick()
		s.port, s.cluster = port, node
		return err
	})
}

// writeConf puts the credentials into a file only the owner can read, so
// they never appear in the process list; everything else is on the
// command line.
func (s *Server) writeConf() error {
	var b strings.Builder
	switch {
	case s.opts.Username != "":
		if strings.ContainsAny(s.opts.Username, " \t\r\n\"'") {
			return fmt.Errorf("redistest: username %q has characters Redis does not allow", s.opts.Username)
		}
		fmt.Fprintf(&b, "user %s on %s ~* &* +@all\n", s.opts.Username, confQuote(">"+s.opts.Password))
		b.WriteString("user default off\n")
	case s.opts.Password != "":
		fmt.Fprintf(&b, "requirepass %s\n", confQuote(s.opts.Password))
	}
	s.confPath = filepath.Join(s.dir, "redis.conf")
	return os.WriteFile(s.confPath, []byte(b.String()), 0o600)
}

// confQuote renders v as a double-quoted redis.conf argument: backslash
// and quote are escaped, other bytes outside printable ASCII become \xHH.
func confQuote(v string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\x%02x", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func (s *Server) args() []string {
	a := []string{s.confPath,
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", s.dir,
		"--daemonize", "no",
		"--logfile", "", // stdout, which is the run's log file
	}
	if t := s.opts.TLS; t != nil && s.tlsPort != 0 {
		a = append(a, "--tls-port", strconv.Itoa(s.tlsPort), "--tls-cert-file", t.Cert, "--tls-key-file", t.Key)
		if t.ClientCA != "" {
			a = append(a, "--tls-ca-cert-file", t.ClientCA, "--tls-auth-clients", "yes")
		} else {
			a = append(a, "--tls-auth-clients", "no")
		}
	}
	if s.cluster != nil {
		a = append(a,
			"--cluster-enabled", "yes",
			"--cluster-config-file", s.cluster.configFile,
			// An explicit bus port: the default (port+10000) may be taken
			// or lie above 65535 for a port from the ephemeral range.
			"--cluster-port", strconv.Itoa(s.cluster.busPort))
	}
	return a
}

// startProcess starts run n and waits until it answers PING (the
// Supervisor's Run).
func (s *Server) startProcess(n int) (*testproc.Process, error) {
	logPath := s.logPath(n)
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(s.opts.ServerPath, s.args()...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = s.dir
	p, err := testproc.Start(cmd)
	_ = logf.Close()
	if err != nil {
		return nil, fmt.Errorf("redistest: start %s: %w", s.opts.ServerPath, err)
	}
	if err := s.waitReady(p); err != nil {
		p.Kill()
		return nil, fmt.Errorf("redistest: %w", testserver.WithLogTail(err, "redis-server", logPath, 30))
	}
	return p, nil
}

func (s *Server) logPath(run int) string {
	return filepath.Join(s.dir, fmt.Sprintf("redis-%d.%d.log", s.port, run))
}

// waitReady polls PING until it answers PONG, the process exits, or
// ReadyTimeout passes. It then checks that the server answering is this
// process: one that failed to bind would otherwise pass for ready when
// another server holds the port.
func (s *Server) waitReady(p *testproc.Process) error {
	return testserver.WaitReady(p, s.opts.ReadyTimeout, 10*time.Millisecond, "redis-server", "answer PING", func() error {
		reply, err := roundTrip(s.Addr(), s.auth(), pingTimeout, "PING")
		if err == nil && reply != "PONG" {
			err = fmt.Errorf("PING answered %q", reply)
		}
		if err != nil {
			return err
		}
		info, err := roundTrip(s.Addr(), s.auth(), pingTimeout, "INFO", "server")
		if err != nil {
			return err
		}
		if !slices.Contains(strings.Fields(info), "process_id:"+strconv.Itoa(p.PID())) {
			return fmt.Errorf("%s is served by another process", s.Addr())
		}
		return nil
	})
}

// auth is the AUTH arguments for the configured credentials.
func (s *Server) auth() []string {
	switch {
	case s.opts.Username != "":
		return []string{s.opts.Username, s.opts.Password}
	case s.opts.Password != "":
		return []string{s.opts.Password}
	}
	return nil
}

// Stop shuts the server down (SIGTERM, SIGKILL after 10 s) and removes its
// directory. It is idempotent; later calls return nil.
func (s *Server) Stop() error {
	return s.run.Stop(func() error {
		if s.ownsDir && !s.opts.KeepDir {
			return os.RemoveAll(s.dir)
		}
		return nil
	})
}

// Kill sends SIGKILL (an abrupt outage) and waits for the server to die:
// connections are reset and new ones refused. Its data is gone (nothing is
// persisted); Restart brings it back empty on the same port.
func (s *Server) Kill() error { return s.run.Kill() }

// Freeze sends SIGSTOP: connections still open (the kernel completes TCP
// handshakes) but no command is answered until Thaw.
func (s *Server) Freeze() error { return s.run.Freeze() }

// Thaw sends SIGCONT to a frozen server.
func (s *Server) Thaw() error { return s.run.Thaw() }

// Restart stops the server if it runs (gracefully, thawing it first) and
// starts it again on the same port with the same configuration, waiting
// until it answers PING. It also recovers a killed server. The data does
// not survive; a cluster node keeps its cluster configuration file and so
// its place in the cluster.
func (s *Server) Restart() error { return s.run.Restart() }

// Running reports whether the server is running (possibly frozen).
func (s *Server) Running() bool { return s.run.Running() }

// PID returns the server's process id, or 0 when it is not running.
func (s *Server) PID() int { return s.run.PID() }

// Do sends one command over a fresh connection (authenticated with the
// configured credentials) and returns the reply: a simple string, an
// integer as decimal text, or a bulk string. An error reply is a
// *ReplyError; array replies are refused (use a Redis client for those).
func (s *Server) Do(args ...string) (string, error) {
	return roundTrip(s.Addr(), s.auth(), pingTimeout, args...)
}

// Addr is the listener, 127.0.0.1:PORT.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// TLSAddr is the TLS listener, 127.0.0.1:PORT ("" without Options.TLS).
func (s *Server) TLSAddr() string {
	if s.tlsPort == 0 {
		return ""
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.tlsPort))
}

// Port is the listening port.
func (s *Server) Port() int { return s.port }

// URL is redis://127.0.0.1:PORT/0, without credentials (see Username and
// Password).
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Username and Password are the configured credentials ("" when unset).
func (s *Server) Username() string { return s.opts.Username }
func (s *Server) Password() string { return s.opts.Password }

// Dir is the server's directory (removed by Stop for a stand-alone server).
func (s *Server) Dir() string { return s.dir }

// LogFile is the output of the current (or last) run.
func (s *Server) LogFile() string { return s.logPath(s.run.Runs()) }
