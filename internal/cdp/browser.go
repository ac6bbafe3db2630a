package cdp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testproc"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testserver"
)

// DefaultChromiumPath is where Debian's chromium package installs the browser.
const DefaultChromiumPath = "/usr/bin/chromium"

// InstallHint is appended to errors about a missing browser.
const InstallHint = "install it with: apt-get install -y --no-install-recommends chromium"

// ErrNotInstalled is wrapped by Launch when the browser is missing.
var ErrNotInstalled = errors.New("Chromium not installed; " + InstallHint)

// Options configures Launch. The zero value runs DefaultChromiumPath with a
// 1280x900 window.
type Options struct {
	// ExecPath is the browser binary.
	ExecPath string
	// Width and Height of the window and of every page's viewport.
	Width, Height int
	// StartTimeout bounds the wait for the browser's first reply; default 30s.
	StartTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.ExecPath == "" {
		o.ExecPath = DefaultChromiumPath
	}
	if o.Width <= 0 {
		o.Width = 1280
	}
	if o.Height <= 0 {
		o.Height = 900
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 30 * time.Second
	}
	return o
}

// Browser is a running headless Chromium with a fresh profile.
type Browser struct {
	opts    Options
	proc    *testproc.Process
	conn    *conn
	dir     string // profile and log; removed by Close
	logPath string
	pipes   []*os.File // our ends of the protocol pipes
}

// flags are the command line of every launch. --no-sandbox: Chromium's
// sandbox cannot run as root, and its setuid helper (chromium-sandbox) is
// only a recommended package; the browser only ever visits pages the test
// itself serves on loopback. The --disable-* flags keep a test run off the
// network (no updates, sync, QUIC, background requests).
func flags(o Options, profile string) []string {
	return []string{
		"--headless",
		"--no-sandbox",
		"--disable-gpu",
		"--disable-quic",
		"--no-first-run",
		"--no-default-browser-check",
		"--disable-background-networking",
		"--disable-component-update",
		"--disable-sync",
		"--disable-extensions",
		"--disable-dev-shm-usage",
		"--password-store=basic",
		"--hide-scrollbars",
		"--mute-audio",
		fmt.Sprintf("--window-size=%d,%d", o.Width, o.Height),
		"--user-data-dir=" + profile,
		"--remote-debugging-pipe",
		"about:blank",
	}
}

// Launch starts the browser and waits until it answers the protocol.
// Close it when done.
func Launch(opts Options) (*Browser, error) {
	opts = opts.withDefaults()
	if err := testserver.CheckPrograms(ErrNotInstalled, opts.ExecPath); err != nil {
		return nil, fmt.Errorf("cdp: %w", err)
	}
	dir, err := os.MkdirTemp("", "cdp-chromium-")
	if err != nil {
		return nil, err
	}
	b := &Browser{opts: opts, dir: dir, logPath: filepath.Join(dir, "chromium.log")}
	if err := b.start(); err != nil {
		_ = b.Close()
		return nil, err
	}
	return b, nil
}

func (b *Browser) start() error {
	profile := filepath.Join(b.dir, "profile")
	if err := os.Mkdir(profile, 0o700); err != nil {
		return err
	}
	logf, err := os.Create(b.logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	// toBrowser: the browser reads commands (its fd 3); fromBrowser: it
	// writes replies and events (its fd 4).
	toBrowserR, toBrowserW, err := os.Pipe()
	if err != nil {
		return err
	}
	fromBrowserR, fromBrowserW, err := os.Pipe()
	if err != nil {
		toBrowserR.Close()
		toBrowserW.Close()
		return err
	}
	cmd := exec.Command(b.opts.ExecPath, flags(b.opts, profile)...)
	cmd.ExtraFiles = []*os.File{toBrowserR, fromBrowserW}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = b.dir
	// A process group of its own: the renderers and helpers the browser
	// forks are stopped with it.
	b.proc, err = testproc.StartGroup(cmd)
	// The browser holds its own copies now.
	toBrowserR.Close()
	fromBrowserW.Close()
	b.pipes = []*os.File{toBrowserW, fromBrowserR}
	if err != nil {
		return fmt.Errorf("cdp: start %s: %w", b.opts.ExecPath, err)
	}
	b.conn = newConn(fromBrowserR, toBrowserW)

	ctx, cancel := context.WithTimeout(context.Background(), b.opts.StartTimeout)
	defer cancel()
	var version struct {
		Product string `json:"product"`
	}
	if err := b.conn.call(ctx, "", "Browser.getVersion", nil, &version); err != nil {
		return fmt.Errorf("cdp: %w", testserver.WithLogTail(fmt.Errorf("the browser did not answer: %w", err), "chromium", b.logPath, 30))
	}
	return nil
}

// Close asks the browser to quit, stops it if it does not, and removes its
// profile. It is safe to call more than once.
func (b *Browser) Close() error {
	var err error
	if b.proc != nil && !b.proc.Exited() {
		if b.conn != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			// The reply may never come: the browser exits while answering.
			_ = b.conn.call(ctx, "", "Browser.close", nil, nil)
			cancel()
		}
		select {
		case <-b.proc.Done():
		case <-time.After(5 * time.Second):
		}
	}
	if b.proc != nil {
		// Also after the browser quit by itself: its group may hold
		// helpers that outlived it.
		if serr := testserver.Terminate(b.proc, 5*time.Second, "chromium"); serr != nil {
			err = fmt.Errorf("cdp: %w", serr)
		}
		b.proc = nil
	}
	for _, f := range b.pipes {
		_ = f.Close()
	}
	b.pipes = nil
	if b.dir != "" {
		if rerr := os.RemoveAll(b.dir); rerr != nil && err == nil {
			err = rerr
		}
		b.dir = ""
	}
	return err
}

// NewPage opens a tab on about:blank with the browser's viewport size.
func (b *Browser) NewPage(ctx context.Context) (*Page, error) {
	var created struct {
		TargetID string `json:"targetId"`
	}
	if err := b.conn.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &created); err != nil {
		return nil, err
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.conn.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": created.TargetID, "flatten": true}, &attached); err != nil {
		return nil, err
	}
	p := &Page{conn: b.conn, session: attached.SessionID, target: created.TargetID}
	if err := p.call(ctx, "Page.enable", nil, nil); err != nil {
		return nil, err
	}
	// A fixed viewport makes screenshots and click coordinates independent
	// of the window manager's idea of the window.
	if err := p.call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": b.opts.Width, "height": b.opts.Height, "deviceScaleFactor": 1, "mobile": false,
	}, nil); err != nil {
		return nil, err
	}
	return p, nil
}
