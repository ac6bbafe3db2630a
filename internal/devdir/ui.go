package devdir

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testproc"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testserver"
)

// UIOptions configures StartUI.
type UIOptions struct {
	// LDAPURL is the directory's ldap:// URL; the UI upgrades it with
	// StartTLS and refuses a certificate CAFile does not sign.
	LDAPURL string
	CAFile  string
	BaseDN  string
	// LoginDN pre-fills the login form.
	LoginDN string
	// ServerName is shown in the UI; default "tyk-ldap-auth development directory".
	ServerName string
	// Port on 127.0.0.1; 0 picks a free one.
	Port int
	// PHPPath and InstallDir override DefaultPHPPath and DefaultInstallDir.
	PHPPath, InstallDir string
	// ReadyTimeout bounds the wait for the first page; default 15s.
	ReadyTimeout time.Duration
}

func (o UIOptions) withDefaults() UIOptions {
	if o.ServerName == "" {
		o.ServerName = "tyk-ldap-auth development directory"
	}
	if o.PHPPath == "" {
		o.PHPPath = DefaultPHPPath
	}
	if o.InstallDir == "" {
		o.InstallDir = DefaultInstallDir
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = 15 * time.Second
	}
	return o
}

// UI is phpLDAPadmin served by PHP's built-in web server.
type UI struct {
	opts     UIOptions
	dir      string // site, sessions, log; removed by Stop
	port     int
	proc     *testproc.Process
	logPath  string
	warnings []string
}

// stopGrace is how long Stop waits for php to exit on SIGTERM.
const stopGrace = 5 * time.Second

// StartUI lays out the site with a generated configuration, starts php on
// 127.0.0.1 and waits until phpLDAPadmin's start page answers. Call Stop.
func StartUI(opts UIOptions) (*UI, error) {
	opts = opts.withDefaults()
	if opts.LDAPURL == "" || opts.CAFile == "" || opts.BaseDN == "" {
		return nil, errors.New("devdir: UIOptions need LDAPURL, CAFile and BaseDN")
	}
	if err := checkInstall(opts.PHPPath, opts.InstallDir); err != nil {
		return nil, fmt.Errorf("devdir: %w", err)
	}
	dir, err := os.MkdirTemp("", "devdir-ui-")
	if err != nil {
		return nil, err
	}
	u := &UI{opts: opts, dir: dir, logPath: filepath.Join(dir, "php.log")}
	if err := u.prepare(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if err := u.start(); err != nil {
		_ = u.Stop()
		return nil, err
	}
	return u, nil
}

func (u *UI) prepare() error {
	secret := make([]byte, 24)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	conf, err := renderConfig(siteConfig{
		ServerName:    u.opts.ServerName,
		Host:          u.opts.LDAPURL,
		BaseDN:        u.opts.BaseDN,
		LoginDN:       u.opts.LoginDN,
		CAFile:        u.opts.CAFile,
		SessionSecret: hex.EncodeToString(secret),
	})
	if err != nil {
		return err
	}
	if err := os.Mkdir(u.siteDir(), 0o755); err != nil {
		return err
	}
	if u.warnings, err = buildSite(u.opts.InstallDir, u.siteDir(), conf); err != nil {
		return err
	}
	return os.Mkdir(u.sessionDir(), 0o700)
}

func (u *UI) siteDir() string    { return filepath.Join(u.dir, "site") }
func (u *UI) sessionDir() string { return filepath.Join(u.dir, "sessions") }

// start runs php on the configured port, or on a free one; another
// process can take a free port between the probe and php's bind, which is
// retried.
func (u *UI) start() error {
	if u.opts.Port != 0 {
		return u.startOn(u.opts.Port)
	}
	return testserver.RetryPortClash(func() error {
		ports, err := testserver.FreePorts(1)
		if err != nil {
			return fmt.Errorf("devdir: %w", err)
		}
		return u.startOn(ports[0])
	})
}

func (u *UI) startOn(port int) error {
	logf, err := os.OpenFile(u.logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	htdocs := filepath.Join(u.siteDir(), "htdocs")
	cmd := exec.Command(u.opts.PHPPath,
		"-d", "session.save_path="+u.sessionDir(),
		"-d", "date.timezone=UTC",
		"-S", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		"-t", htdocs)
	// The pages find lib/ and config/ relative to htdocs (see buildSite).
	cmd.Dir = htdocs
	// libldap's own settings win over /etc/ldap/ldap.conf and ~/.ldaprc:
	// certificates are always verified, against the directory's CA.
	cmd.Env = append(os.Environ(), "LDAPTLS_CACERT="+u.opts.CAFile, "LDAPTLS_REQCERT=demand")
	cmd.Stdout, cmd.Stderr = logf, logf
	// A process group of its own, so a Ctrl-C in the terminal reaches only
	// the devdir command, which then stops php in order.
	p, err := testproc.StartGroup(cmd)
	if err != nil {
		return fmt.Errorf("devdir: start %s: %w", u.opts.PHPPath, err)
	}
	u.proc, u.port = p, port
	client := &http.Client{Timeout: 2 * time.Second}
	err = testserver.WaitReady(p, u.opts.ReadyTimeout, 50*time.Millisecond, "php", "serve phpLDAPadmin's start page",
		func() error { return probe(client, u.URL()) })
	if err != nil {
		p.Kill()
		u.proc = nil
		return fmt.Errorf("devdir: phpLDAPadmin on port %d: %w", port, testserver.WithLogTail(err, "php", u.logPath, 20))
	}
	return nil
}

// probe fetches the start page: phpLDAPadmin answers it with its login
// tree, or with an error page (no configuration, a missing extension).
func probe(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	page := string(body)
	switch {
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	case !strings.Contains(page, "<title>phpLDAPadmin"):
		return fmt.Errorf("GET %s: not phpLDAPadmin's start page: %.300q", url, page)
	case !strings.Contains(page, "cmd=login_form"):
		return fmt.Errorf("GET %s: phpLDAPadmin offers no login: %.300q", url, page)
	}
	return nil
}

// URL is the start page, http://127.0.0.1:PORT/.
func (u *UI) URL() string {
	return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(u.port)) + "/"
}

// Port is the port php listens on.
func (u *UI) Port() int { return u.port }

// Warnings says what of the installation could not be used.
func (u *UI) Warnings() []string { return append([]string(nil), u.warnings...) }

// Dir is the UI's temporary directory (site, sessions, php.log).
func (u *UI) Dir() string { return u.dir }

// LogFile is php's output: one line per request, and PHP's warnings.
func (u *UI) LogFile() string { return u.logPath }

// Done is closed when php exits.
func (u *UI) Done() <-chan struct{} {
	if u.proc == nil {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	return u.proc.Done()
}

// LogTail returns the last lines of php's output.
func (u *UI) LogTail(lines int) string { return testserver.LogTail(u.logPath, lines) }

// Stop ends php and removes the directory. It is idempotent.
func (u *UI) Stop() error {
	var err error
	if u.proc != nil {
		if terr := testserver.Terminate(u.proc, stopGrace, "php"); terr != nil {
			err = fmt.Errorf("devdir: %w", terr)
		}
	}
	if u.dir != "" {
		if rerr := os.RemoveAll(u.dir); rerr != nil && err == nil {
			err = rerr
		}
		u.dir = ""
	}
	return err
}
