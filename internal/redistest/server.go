package redistest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
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
	port     int
	cluster  *clusterNode // nil for a stand-alone server

	// mu serialises lifecycle operations and guards the fields below.
	mu     sync.Mutex
	proc   *process
	frozen bool
	closed bool
	runs   int
}

// clusterNode holds what a cluster member adds to the command line.
type clusterNode struct {
	busPort    int
	configFile string
}

// Start starts a stand-alone redis-server on a free loopback port and waits
// until it answers PING. Call Stop when done.
func Start(opts Options) (*Server, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := checkPrograms(opts.ServerPath); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "redistest-")
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, dir: dir, ownsDir: true}
	if err := s.firstStart(func() (int, *clusterNode, error) {
		ports, err := freePorts(1)
		if err != nil {
			return 0, nil, err
		}
		return ports[0], nil, nil
	}); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// firstStart writes the configuration file and starts the server on the
// ports pick returns. Another process may grab a port between the probe
// and redis-server's bind, so that case is retried with new ports.
func (s *Server) firstStart(pick func() (int, *clusterNode, error)) error {
	if err := s.writeConf(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var lastErr error
	for range 3 {
		port, node, err := pick()
		if err != nil {
			return err
		}
		s.port, s.cluster = port, node
		p, err := s.startProcess()
		if err == nil {
			s.proc = p
			return nil
		}
		lastErr = err
		if !strings.Contains(err.Error(), "already in use") {
			break
		}
	}
	return lastErr
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

func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	// Hold all listeners until every port is chosen so they differ.
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("redistest: no free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
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

// startProcess starts one run and waits until it answers PING. Called
// with s.mu held.
func (s *Server) startProcess() (*process, error) {
	s.runs++
	logPath := s.logPath()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(s.opts.ServerPath, s.args()...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = s.dir
	cmd.SysProcAttr = sysProcAttr()
	p := &process{cmd: cmd}
	err = p.start()
	_ = logf.Close()
	if err != nil {
		return nil, fmt.Errorf("redistest: start %s: %w", s.opts.ServerPath, err)
	}
	if err := s.waitReady(p); err != nil {
		p.kill()
		return nil, fmt.Errorf("redistest: %w\n--- redis-server output (%s) ---\n%s", err, logPath, logTail(logPath, 30))
	}
	return p, nil
}

func (s *Server) logPath() string {
	return filepath.Join(s.dir, fmt.Sprintf("redis-%d.%d.log", s.port, s.runs))
}

// waitReady polls PING until it answers PONG, the process exits, or
// ReadyTimeout passes. It then checks that the server answering is this
// process: one that failed to bind would otherwise pass for ready when
// another server holds the port.
func (s *Server) waitReady(p *process) error {
	err := poll(s.opts.ReadyTimeout, 10*time.Millisecond, p.done, func() error {
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
		if !containsString(strings.Fields(info), "process_id:"+strconv.Itoa(p.pid())) {
			return fmt.Errorf("%s is served by another process", s.Addr())
		}
		return nil
	})
	if errors.Is(err, errExited) {
		return fmt.Errorf("redis-server exited during start-up (%v)", p.err)
	}
	if err != nil {
		return fmt.Errorf("redis-server did not answer PING: %w", err)
	}
	return nil
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

func logTail(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no output: " + err.Error() + ")"
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// Stop shuts the server down (SIGTERM, SIGKILL after 10 s) and removes its
// directory. It is idempotent; later calls return nil.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var err error
	if s.proc != nil {
		if s.proc.terminate(stopGrace) {
			err = fmt.Errorf("redistest: redis-server ignored SIGTERM for %s and was killed", stopGrace)
		}
		s.proc, s.frozen = nil, false
	}
	if s.ownsDir && !s.opts.KeepDir {
		if rerr := os.RemoveAll(s.dir); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}

// Kill sends SIGKILL (an abrupt outage) and waits for the server to die:
// connections are reset and new ones refused. Its data is gone (nothing is
// persisted); Restart brings it back empty on the same port.
func (s *Server) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return ErrNotRunning
	}
	s.proc.kill()
	s.proc, s.frozen = nil, false
	return nil
}

// Freeze sends SIGSTOP: connections still open (the kernel completes TCP
// handshakes) but no command is answered until Thaw.
func (s *Server) Freeze() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return ErrNotRunning
	}
	if err := s.proc.signal(syscall.SIGSTOP); err != nil {
		return err
	}
	s.frozen = true
	// Signals are asynchronous: wait until the kernel reports it stopped so
	// the caller's next command really meets a frozen server.
	return s.waitState(func(st byte) bool { return st == 'T' || st == 't' })
}

// Thaw sends SIGCONT to a frozen server.
func (s *Server) Thaw() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return ErrNotRunning
	}
	if err := s.proc.signal(syscall.SIGCONT); err != nil {
		return err
	}
	s.frozen = false
	return s.waitState(func(st byte) bool { return st != 'T' && st != 't' })
}

func (s *Server) waitState(ok func(byte) bool) error {
	pid := s.proc.pid()
	err := poll(2*time.Second, time.Millisecond, s.proc.done, func() error {
		st, err := processState(pid)
		if err != nil || ok(st) {
			return nil // state unknown: the signal was still sent
		}
		return fmt.Errorf("redis-server (pid %d) in state %q", pid, st)
	})
	if errors.Is(err, errExited) {
		return nil
	}
	return err
}

// Restart stops the server if it runs (gracefully, thawing it first) and
// starts it again on the same port with the same configuration, waiting
// until it answers PING. It also recovers a killed server. The data does
// not survive; a cluster node keeps its cluster configuration file and so
// its place in the cluster.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("redistest: Restart after Stop")
	}
	if s.proc != nil {
		s.proc.terminate(stopGrace)
		s.proc, s.frozen = nil, false
	}
	p, err := s.startProcess()
	if err != nil {
		return err
	}
	s.proc = p
	return nil
}

// Running reports whether the server is running (possibly frozen).
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc != nil && !s.proc.exited()
}

// PID returns the server's process id, or 0 when it is not running.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return 0
	}
	return s.proc.pid()
}

// Do sends one command over a fresh connection (authenticated with the
// configured credentials) and returns the reply: a simple string, an
// integer as decimal text, or a bulk string. An error reply is a
// *ReplyError; array replies are refused (use a Redis client for those).
func (s *Server) Do(args ...string) (string, error) {
	return roundTrip(s.Addr(), s.auth(), pingTimeout, args...)
}

// Addr is the listener, 127.0.0.1:PORT.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

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
func (s *Server) LogFile() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logPath()
}
