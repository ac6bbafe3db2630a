package adtest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testpki"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testproc"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testserver"
)

// The fixed ports samba's LDAP service listens on (127.0.0.1 and ::1).
const (
	LDAPPort           = 389
	LDAPSPort          = 636
	GlobalCatalogPort  = 3268
	GlobalCatalogSPort = 3269
)

// stopGrace is how long Stop waits for samba to exit on SIGTERM.
const stopGrace = 10 * time.Second

// readyPoll is the interval between readiness binds.
const readyPoll = 100 * time.Millisecond

// ErrDCInProcess is returned by Start when this process already runs a
// DC: only one fits on a machine, so a second would wait for the first
// forever. Tests share one with Shared.
var ErrDCInProcess = errors.New("adtest: this process already runs an AD DC (only one fits on a machine; use Shared, or Stop the other first)")

// slot is this process's claim on the machine's single DC.
var slot struct {
	sync.Mutex
	busy bool
}

// Timings says where a Start spent its time.
type Timings struct {
	// LockWait is the wait for another process's DC to stop.
	LockWait time.Duration
	// Prepare is provisioning (NoTemplate, or building the template) plus
	// copying the template, plus TLS material.
	Prepare time.Duration
	// TemplateBuilt is true when this Start built the machine's template.
	TemplateBuilt bool
	// Ready is from starting samba to its first successful LDAPS bind.
	Ready time.Duration
}

// DC is a running (or stopped) Samba AD domain controller serving LDAP and
// LDAPS on 127.0.0.1. Its methods are safe for concurrent use.
type DC struct {
	opts     Options
	dir      string
	confPath string
	logPath  string
	caPEM    []byte
	files    testpki.Files
	adminPW  string
	timings  Timings
	dnsPort  int // with Options.DNS

	mu      sync.Mutex
	lock    *machineLock
	proc    *testproc.Process
	stdin   *os.File // samba shuts down when this pipe closes
	stopped bool
}

// Start takes the machine's DC lock (waiting up to Options.LockTimeout for
// another process's DC), prepares a domain with the sample data in a new
// directory under Options.StateDir, starts samba with only its LDAP service
// and waits until an LDAPS bind as Administrator succeeds. Call Stop when
// done.
func Start(opts Options) (*DC, error) {
	opts = opts.withDefaults()
	if err := opts.checkPrograms(); err != nil {
		return nil, err
	}
	slot.Lock()
	if slot.busy {
		slot.Unlock()
		return nil, ErrDCInProcess
	}
	slot.busy = true
	slot.Unlock()
	dc, err := start(opts)
	if err != nil {
		slot.Lock()
		slot.busy = false
		slot.Unlock()
		return nil, err
	}
	return dc, nil
}

func start(opts Options) (*DC, error) {
	t0 := time.Now()
	lock, err := acquireMachineLock(opts.StateDir, opts.LockTimeout, opts.Logf)
	if err != nil {
		return nil, err
	}
	dc := &DC{opts: opts, lock: lock}
	dc.timings.LockWait = time.Since(t0)
	fail := func(err error) (*DC, error) {
		dc.cleanup()
		return nil, err
	}
	if err := portsFree(); err != nil {
		return fail(err)
	}
	reclaimStaleDirs(opts.StateDir)
	t1 := time.Now()
	if err := dc.prepare(); err != nil {
		return fail(err)
	}
	dc.timings.Prepare = time.Since(t1)
	t2 := time.Now()
	if err := dc.run(); err != nil {
		return fail(err)
	}
	dc.timings.Ready = time.Since(t2)
	return dc, nil
}

// portsFree fails clearly when something outside the lock (a system samba,
// a slapd on 389) holds one of the fixed ports.
func portsFree() error {
	for _, port := range []int{LDAPPort, LDAPSPort, GlobalCatalogPort, GlobalCatalogSPort} {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("adtest: cannot use %s for the AD DC (samba needs the fixed ports %d, %d, %d and %d, and root or CAP_NET_BIND_SERVICE): %v",
				addr, LDAPPort, LDAPSPort, GlobalCatalogPort, GlobalCatalogSPort, err)
		}
		_ = l.Close()
	}
	return nil
}

// prepare fills a new directory with a domain (copied from the template or
// provisioned) and fresh TLS material.
func (dc *DC) prepare() error {
	// Samba's messaging sockets live in DIR/msg.sock/PID.
	dir, err := testserver.MkdirTemp(dc.opts.StateDir, "dc-", filepath.Join("msg.sock", "4194304"))
	if err != nil {
		return fmt.Errorf("adtest: %w", err)
	}
	dc.dir = dir
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return err
	}
	if dc.opts.NoTemplate {
		if dc.adminPW, err = newAdminPassword(); err != nil {
			return err
		}
		if err := provision(dc.opts, dir, dc.adminPW); err != nil {
			return err
		}
	} else {
		t, built, err := ensureTemplate(dc.opts)
		if err != nil {
			return err
		}
		dc.timings.TemplateBuilt = built
		dc.adminPW = t.meta.AdminPassword
		if err := copyTemplate(t, dir); err != nil {
			return err
		}
	}
	dc.confPath = filepath.Join(dir, "etc", "smb.conf")
	dc.logPath = filepath.Join(dir, "samba.log")
	return dc.writeTLS()
}

// writeTLS makes a CA and a server certificate for 127.0.0.1, ::1, the
// DC's host name, the domain and localhost, where smb.conf expects them.
func (dc *DC) writeTLS() error {
	ca, err := testpki.NewCA("adtest CA", "adtest")
	if err != nil {
		return err
	}
	sc, err := ca.IssueServer(testpki.ServerNames{
		CommonName: DCHostName,
		IPs:        []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:   []string{DCHostName, DNSDomain, "localhost"},
	})
	if err != nil {
		return err
	}
	tdir := filepath.Join(dc.dir, tlsDir)
	if err := os.MkdirAll(tdir, 0o700); err != nil {
		return err
	}
	if dc.files, err = testpki.WriteFiles(tdir, ca, sc); err != nil {
		return err
	}
	dc.caPEM = ca.PEM()
	return nil
}

// run starts samba in the foreground with only the LDAP service and waits
// for an LDAPS bind.
func (dc *DC) run() error {
	logf, err := os.OpenFile(dc.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer stdinR.Close()
	// -i: no daemon, log to stdout, and exit when stdin reaches EOF: the
	// pipe's write end lives only in this process, so samba also stops by
	// itself if the test binary dies (besides Pdeathsig).
	args := []string{"-i", "-M", "single", "-s", dc.confPath, "--option=server services=ldap"}
	if dc.opts.DNS {
		ports, err := testserver.FreePorts(1)
		if err != nil {
			return fmt.Errorf("adtest: %w", err)
		}
		dc.dnsPort = ports[0]
		args = append(args[:len(args)-1], dnsServerArgs(dc.dnsPort)...)
	}
	if dc.opts.DisableOldPasswordPeriod {
		args = append(args, "--option=old password allowed period=0")
	}
	cmd := exec.Command(dc.opts.SambaPath, args...)
	cmd.Dir = dc.dir
	cmd.Stdin = stdinR
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{dc.lock.file()}
	p, err := testproc.StartGroup(cmd)
	if err != nil {
		stdinW.Close()
		return fmt.Errorf("adtest: start %s: %w", dc.opts.SambaPath, err)
	}
	dc.mu.Lock()
	dc.proc, dc.stdin = p, stdinW
	dc.mu.Unlock()
	err = testserver.WaitReady(p, dc.opts.ReadyTimeout, readyPoll, "samba", "accept an LDAPS bind as Administrator", func() error {
		c, err := dc.dialAdmin(2 * time.Second)
		if err == nil {
			c.Close()
		}
		if err == nil && dc.opts.DNS {
			_, err = dc.LookupSRV(DCSRVName)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("adtest: %w", testserver.WithLogTail(err, "samba", dc.logPath, 40))
	}
	return nil
}

// dialAdmin connects over LDAPS and binds as Administrator.
func (dc *DC) dialAdmin(timeout time.Duration) (*ldap.Conn, error) {
	c, err := ldap.DialURL(dc.LDAPSURL(), ldap.DialWithTLSConfig(dc.ClientTLSConfig()),
		ldap.DialWithDialer(&net.Dialer{Timeout: timeout}))
	if err != nil {
		return nil, err
	}
	c.SetTimeout(timeout)
	if err := c.Bind(AdminDN, dc.adminPW); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Stop shuts samba down (its stdin closes and its process group gets
// SIGTERM; SIGKILL after 10 s), releases the machine lock and removes the
// directory. It is idempotent.
func (dc *DC) Stop() error {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	if dc.stopped {
		return nil
	}
	dc.stopped = true
	err := dc.stopLocked()
	slot.Lock()
	slot.busy = false
	slot.Unlock()
	return err
}

// cleanup undoes a failed start.
func (dc *DC) cleanup() {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	dc.stopped = true
	_ = dc.stopLocked()
}

func (dc *DC) stopLocked() error {
	var err error
	if dc.stdin != nil {
		_ = dc.stdin.Close()
		dc.stdin = nil
	}
	if dc.proc != nil {
		if terr := testserver.Terminate(dc.proc, stopGrace, "samba"); terr != nil {
			err = fmt.Errorf("adtest: %w", terr)
		}
	}
	// Only now: samba's inherited descriptor shares the lock.
	if lerr := dc.lock.release(); lerr != nil && err == nil {
		err = lerr
	}
	if dc.dir != "" && !dc.opts.KeepDir {
		if rerr := os.RemoveAll(dc.dir); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}

// Running reports whether samba is running.
func (dc *DC) Running() bool {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	return dc.proc != nil && !dc.proc.Exited()
}

// PID is samba's process id (and process group id); 0 before it started.
func (dc *DC) PID() int {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	if dc.proc == nil {
		return 0
	}
	return dc.proc.PID()
}

// LDAPURL is the plain listener, ldap://127.0.0.1:389. Samba refuses simple
// binds on it unless the connection first upgrades with StartTLS.
func (dc *DC) LDAPURL() string {
	return "ldap://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(LDAPPort))
}

// StartTLSURL is the same listener as LDAPURL; clients upgrade with StartTLS.
func (dc *DC) StartTLSURL() string { return dc.LDAPURL() }

// LDAPSURL is the TLS listener, ldaps://127.0.0.1:636.
func (dc *DC) LDAPSURL() string {
	return "ldaps://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(LDAPSPort))
}

// CAPEM and CAFile: the CA that signed the DC's certificate (fresh per DC).
func (dc *DC) CAPEM() []byte  { return append([]byte(nil), dc.caPEM...) }
func (dc *DC) CAFile() string { return dc.files.CA }

// ServerCertFile is the DC's certificate (SANs 127.0.0.1, ::1,
// dc1.corp.example.org, corp.example.org, localhost).
func (dc *DC) ServerCertFile() string { return dc.files.Cert }

// ClientTLSConfig trusts only the DC's CA and expects the name 127.0.0.1
// (go-ldap's StartTLS needs ServerName set).
func (dc *DC) ClientTLSConfig() *tls.Config {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(dc.caPEM)
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// BaseDN, Realm and Domain of the sample domain (also constants).
func (dc *DC) BaseDN() string { return BaseDN }
func (dc *DC) Realm() string  { return Realm }
func (dc *DC) Domain() string { return Domain }

// AdminDN and AdminPassword: the domain's Administrator. The password is
// random per template (or per DC with NoTemplate).
func (dc *DC) AdminDN() string       { return AdminDN }
func (dc *DC) AdminPassword() string { return dc.adminPW }

// Dir is the DC's directory (removed by Stop); LogFile is samba's output.
func (dc *DC) Dir() string     { return dc.dir }
func (dc *DC) LogFile() string { return dc.logPath }

// Timings says where Start spent its time.
func (dc *DC) Timings() Timings { return dc.timings }
