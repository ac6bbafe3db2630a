package slapdtest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testproc"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testserver"
)

// RootDN is the rootdn of every Server (it bypasses ACLs).
const RootDN = "cn=admin," + BaseDN

// stopGrace is how long Stop and Restart wait for slapd to exit on SIGTERM.
const stopGrace = 10 * time.Second

// ErrNotRunning is returned by operations that need a live slapd.
var ErrNotRunning = errors.New("slapdtest: slapd is not running")

// Server is a running (or stopped) slapd with its own directory and ports.
// Its methods are safe for concurrent use.
type Server struct {
	opts      Options
	dir       string
	confPath  string
	pwFile    string
	ldapiPath string
	tlsMat    *tlsMaterial
	files     tlsFiles
	rootPW    string
	plainPort int
	tlsPort   int

	stats   *statsLog // nil when Options.DisableStats
	nextUID atomic.Int64

	run *testserver.Supervisor
}

// Start creates the server directory, TLS material and slapd.conf, starts
// slapd on free loopback ports, waits until it answers and loads the data.
// Call Stop when done.
func Start(opts Options) (*Server, error) {
	opts = opts.withDefaults()
	if err := opts.checkPrograms(); err != nil {
		return nil, err
	}
	ldifs, err := dataFiles(opts)
	if err != nil {
		return nil, err
	}
	dir, err := makeTempDir()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, dir: dir}
	s.run = testserver.NewSupervisor(testserver.Config{
		Package: "slapdtest", Program: "slapd", Grace: stopGrace,
		ErrNotRunning: ErrNotRunning, Run: s.startProcess,
	})
	s.nextUID.Store(20000)
	if err := s.prepare(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if err := s.run.Start(s.pickPorts); err != nil {
		_ = s.Stop()
		return nil, err
	}
	if err := s.load(ldifs); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// dataFiles lists the *.ldif files to load, in name order.
func dataFiles(opts Options) ([]string, error) {
	if opts.NoData {
		return nil, nil
	}
	dir := opts.DataDir
	if dir == "" {
		var err error
		if dir, err = DefaultDataDir(); err != nil {
			return nil, err
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.ldif"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("slapdtest: no *.ldif files in %s", dir)
	}
	sort.Strings(files)
	return files, nil
}

// makeTempDir keeps the ldapi socket path short enough for sun_path even
// when TMPDIR is long, by falling back to /tmp.
func makeTempDir() (string, error) {
	dir, err := testserver.MkdirTemp("", "slapdtest-", "ldapi")
	if errors.Is(err, testserver.ErrPathTooLong) {
		return testserver.MkdirTemp("/tmp", "slapdtest-", "ldapi")
	}
	return dir, err
}

func (s *Server) prepare() error {
	s.rootPW = s.opts.RootPassword
	if s.rootPW == "" {
		pw, err := randomPassword()
		if err != nil {
			return err
		}
		s.rootPW = pw
	}
	hash, err := sshaHash(s.rootPW)
	if err != nil {
		return err
	}
	if s.tlsMat, err = newTLSMaterial(); err != nil {
		return err
	}
	if s.files, err = s.tlsMat.write(s.dir); err != nil {
		return err
	}
	dbDir := filepath.Join(s.dir, "db")
	if err := os.Mkdir(dbDir, 0o700); err != nil {
		return err
	}
	conf, err := renderConf(confData{
		SchemaDir:  "/etc/ldap/schema",
		PidFile:    filepath.Join(s.dir, "slapd.pid"),
		ArgsFile:   filepath.Join(s.dir, "slapd.args"),
		DBDir:      dbDir,
		CAFile:     s.files.ca,
		CertFile:   s.files.cert,
		KeyFile:    s.files.key,
		Suffix:     BaseDN,
		RootDN:     RootDN,
		RootPWHash: hash,
		ServiceDN:  ServiceAccountDN,

		PasswordPolicyDN: s.opts.passwordPolicyDN(),
		SyncProv:         s.opts.SyncProv,
		SelfWritable:     s.opts.SelfWritable,
	})
	if err != nil {
		return err
	}
	s.confPath = filepath.Join(s.dir, "slapd.conf")
	if err := os.WriteFile(s.confPath, conf, 0o600); err != nil {
		return err
	}
	// ldapmodify -y reads the whole file as the password: no newline.
	s.pwFile = filepath.Join(s.dir, "rootpw")
	if err := os.WriteFile(s.pwFile, []byte(s.rootPW), 0o600); err != nil {
		return err
	}
	s.ldapiPath = filepath.Join(s.dir, "ldapi")
	if !s.opts.DisableStats {
		s.stats = newStatsLog()
	}
	return nil
}

// pickPorts chooses the two listeners' ports before each first-start
// attempt (see testserver.Supervisor.Start).
func (s *Server) pickPorts() error {
	ports, err := testserver.FreePorts(2)
	if err != nil {
		return fmt.Errorf("slapdtest: %w", err)
	}
	s.plainPort, s.tlsPort = ports[0], ports[1]
	return nil
}

// startProcess starts slapd run n and waits until it answers (the
// Supervisor's Run).
func (s *Server) startProcess(n int) (*testproc.Process, error) {
	logPath := s.logPath(n)
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	// A socket file left by a killed run would make slapd's ldapi bind fail.
	_ = os.Remove(s.ldapiPath)
	level := "stats"
	if s.opts.DisableStats {
		level = "none" // fatal errors only; "-d 0" would hide them
	}
	cmd := exec.Command(s.opts.SlapdPath, "-f", s.confPath, "-h", s.listenURLs(), "-d", level)
	// slapd gets the file itself: every log line is written before the
	// response it describes, with no copying goroutine in between, which is
	// what makes Counters exact.
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = s.dir
	p, err := testproc.Start(cmd)
	_ = logf.Close()
	if err != nil {
		return nil, fmt.Errorf("slapdtest: start %s: %w", s.opts.SlapdPath, err)
	}
	if s.stats != nil {
		s.stats.newRun(logPath)
	}
	if err := s.waitReady(p); err != nil {
		p.Kill()
		return nil, fmt.Errorf("slapdtest: %w", testserver.WithLogTail(err, "slapd", logPath, 40))
	}
	return p, nil
}

func (s *Server) logPath(run int) string {
	return filepath.Join(s.dir, fmt.Sprintf("slapd.%d.log", run))
}

func (s *Server) listenURLs() string {
	return fmt.Sprintf("ldap://127.0.0.1:%d/ ldaps://127.0.0.1:%d/ %s/", s.plainPort, s.tlsPort, ldapiURL(s.ldapiPath))
}

// waitReady polls a rootdn bind over ldapi, then checks both TCP listeners.
func (s *Server) waitReady(p *testproc.Process) error {
	return testserver.WaitReady(p, s.opts.ReadyTimeout, 20*time.Millisecond, "slapd", "answer", func() error {
		if err := s.pingAdmin(); err != nil {
			return err
		}
		return s.pingTCP()
	})
}

func (s *Server) pingAdmin() error {
	c, err := s.dialAdmin(2 * time.Second)
	if err != nil {
		return err
	}
	c.Close()
	return nil
}

// pingTCP only connects, and tells the stats parser to ignore these
// connections, so a fresh server shows zero everywhere in Counters.
func (s *Server) pingTCP() error {
	for _, addr := range []string{s.Addr(), s.LDAPSAddr()} {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return err
		}
		if s.stats != nil {
			s.stats.ignorePeer(c.LocalAddr().String())
		}
		_ = c.Close()
	}
	return nil
}

// dialAdmin binds as the rootdn over the private ldapi socket, whose
// connections Counters ignores.
func (s *Server) dialAdmin(timeout time.Duration) (*ldap.Conn, error) {
	nc, err := net.DialTimeout("unix", s.ldapiPath, timeout)
	if err != nil {
		return nil, err
	}
	c := ldap.NewConn(nc, false)
	c.Start()
	c.SetTimeout(timeout)
	if err := c.Bind(RootDN, s.rootPW); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Stop shuts slapd down gracefully (SIGTERM, SIGKILL after 10 s), reads
// the rest of its stats log and removes the directory. It is idempotent;
// later calls return nil. Counters still answers after Stop.
func (s *Server) Stop() error {
	return s.run.Stop(func() error {
		if s.stats != nil {
			s.stats.finish()
		}
		if s.opts.KeepDir {
			return nil
		}
		return os.RemoveAll(s.dir)
	})
}

// Kill sends SIGKILL (an abrupt outage) and waits for slapd to die. The
// data survives; Restart brings it back on the same ports.
func (s *Server) Kill() error { return s.run.Kill() }

// Freeze sends SIGSTOP: connections still open (the kernel completes TCP
// handshakes) but no request is answered until Thaw.
func (s *Server) Freeze() error { return s.run.Freeze() }

// Thaw sends SIGCONT to a frozen slapd.
func (s *Server) Thaw() error { return s.run.Thaw() }

// Restart stops slapd if it runs (gracefully, thawing it first) and starts
// it again with the same ports, configuration and data, waiting until it
// answers. It also recovers a Killed server.
func (s *Server) Restart() error { return s.run.Restart() }

// Running reports whether slapd is running (possibly frozen).
func (s *Server) Running() bool { return s.run.Running() }

// PID returns slapd's process id, or 0 when it is not running.
func (s *Server) PID() int { return s.run.PID() }

// URL is the plain listener, ldap://127.0.0.1:PORT; it also serves StartTLS.
func (s *Server) URL() string { return "ldap://" + s.Addr() }

// StartTLSURL is the same listener as URL; clients upgrade with StartTLS.
func (s *Server) StartTLSURL() string { return s.URL() }

// LDAPSURL is the TLS listener, ldaps://127.0.0.1:PORT.
func (s *Server) LDAPSURL() string { return "ldaps://" + s.LDAPSAddr() }

// Addr and LDAPSAddr are the host:port of the two listeners.
func (s *Server) Addr() string      { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.plainPort)) }
func (s *Server) LDAPSAddr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.tlsPort)) }

// LDAPIURL is the private socket the harness uses (handy for ldapsearch
// -H ... -D RootDN in a demo). Operations on it are not counted.
func (s *Server) LDAPIURL() string { return ldapiURL(s.ldapiPath) }

// CAPEM and CAFile: the CA that signed the server certificate.
func (s *Server) CAPEM() []byte  { return append([]byte(nil), s.tlsMat.caPEM...) }
func (s *Server) CAFile() string { return s.files.ca }

// WrongCAPEM and WrongCAFile: an unrelated CA, for "wrong CA" tests.
func (s *Server) WrongCAPEM() []byte  { return append([]byte(nil), s.tlsMat.wrongCAPEM...) }
func (s *Server) WrongCAFile() string { return s.files.wrongCA }

// ServerCertFile is the server certificate (SANs 127.0.0.1, ::1, localhost).
func (s *Server) ServerCertFile() string { return s.files.cert }

// ClientTLSConfig trusts only the server's CA and expects the name
// 127.0.0.1 (go-ldap's StartTLS needs ServerName set).
func (s *Server) ClientTLSConfig() *tls.Config {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.tlsMat.caPEM)
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// BaseDN is the suffix, dc=example,dc=org.
func (s *Server) BaseDN() string { return BaseDN }

// RootDN and RootPassword: the database's superuser.
func (s *Server) RootDN() string       { return RootDN }
func (s *Server) RootPassword() string { return s.rootPW }

// Dir is the server's temporary directory (removed by Stop).
func (s *Server) Dir() string { return s.dir }

// LogFile is the stats log of the current (or last) slapd run.
func (s *Server) LogFile() string { return s.logPath(s.run.Runs()) }
