//go:build linux

package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// pty is a pseudo-terminal: the program gets the terminal end, the test
// plays the keyboard and screen on the other.
type pty struct {
	master, term *os.File
}

func openPTY(t *testing.T) *pty {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	var n int
	err = control(master, func(fd int) error {
		if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
			return err
		}
		var gerr error
		n, gerr = unix.IoctlGetInt(fd, unix.TIOCGPTN)
		return gerr
	})
	if err != nil {
		master.Close()
		t.Fatalf("unlock the pty: %v", err)
	}
	term, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		t.Fatalf("open the terminal end: %v", err)
	}
	t.Cleanup(func() {
		term.Close()
		master.Close()
	})
	return &pty{master: master, term: term}
}

// control runs f on f's descriptor without switching it to blocking mode
// (os.File.Fd would, and deadlines would stop working).
func control(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

func (p *pty) echoOn(t *testing.T) bool {
	t.Helper()
	var on bool
	if err := control(p.term, func(fd int) error {
		tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
		if err == nil {
			on = tio.Lflag&unix.ECHO != 0
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return on
}

// screen returns what the terminal showed since the program started: it
// writes a marker through the terminal end and reads up to it, so nothing
// is waited for by time.
func (p *pty) screen(t *testing.T) string {
	t.Helper()
	const marker = "--end-of-screen--"
	if _, err := p.term.WriteString(marker + "\n"); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	r := bufio.NewReader(p.master)
	for !strings.Contains(got.String(), marker) {
		line, err := r.ReadString('\n')
		got.WriteString(line)
		if err != nil {
			t.Fatalf("reading the screen: %v (so far %q)", err, got.String())
		}
	}
	return strings.TrimSuffix(strings.TrimRight(got.String(), "\r\n"), marker)
}

// startOnTerminal starts the command with the terminal as stdin and waits
// for the password prompt on stderr, which is written only after echo is
// off. wait waits for the command and for the rest of its stderr.
func startOnTerminal(t *testing.T, p *pty, args ...string) (cmd *exec.Cmd, stdout *bytes.Buffer, wait func() error) {
	t.Helper()
	cmd = exec.Command(commandBinary(t), args...)
	cmd.Env = append(os.Environ(), "LDAP_BIND_PASSWORD="+slapdtest.ServiceAccountPassword)
	cmd.Stdin = p.term
	stdout = &bytes.Buffer{}
	cmd.Stdout = stdout
	stderrR, stderrW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = stderrW
	err = cmd.Start()
	stderrW.Close()
	if err != nil {
		stderrR.Close()
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	const prompt = "Password for alice: "
	buf := make([]byte, 256)
	for !strings.Contains(stderr.String(), prompt) {
		n, err := stderrR.Read(buf)
		stderr.Write(buf[:n])
		if err != nil {
			_ = cmd.Wait()
			stderrR.Close()
			t.Fatalf("no prompt before %v; stderr %q", err, stderr.String())
		}
	}
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		_, _ = io.Copy(io.Discard, stderrR)
	}()
	return cmd, stdout, func() error {
		err := cmd.Wait()
		<-drained
		stderrR.Close()
		return err
	}
}

func TestPasswordFromTerminalIsNotEchoed(t *testing.T) {
	srv := slapdtest.StartT(t)
	alice, _ := slapdtest.SampleUserByKey("ALICE")
	root, err := slapdtest.FindModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	example := filepath.Join(root, "testdata", "apis", "classic", "ldap-search-bind.json")
	p := openPTY(t)
	if !p.echoOn(t) {
		t.Fatal("a fresh terminal should echo")
	}
	_, stdout, wait := startOnTerminal(t, p, example, "alice", "-url", srv.URL())
	if p.echoOn(t) {
		t.Error("echo is still on while the password is asked for")
	}
	if _, err := p.master.WriteString(alice.Password + "\n"); err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil {
		t.Fatalf("ldapauth-check: %v\n%s", err, stdout.String())
	}
	if !strings.Contains(stdout.String(), "verdict      200 OK (granted)") {
		t.Errorf("the password typed on the terminal did not authenticate:\n%s", stdout.String())
	}
	if screen := p.screen(t); strings.Contains(screen, alice.Password) {
		t.Errorf("the terminal showed the password: %q", screen)
	}
	if !p.echoOn(t) {
		t.Error("echo was not switched back on")
	}
}

func TestInterruptAtPromptRestoresEcho(t *testing.T) {
	root, err := slapdtest.FindModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	example := filepath.Join(root, "testdata", "apis", "classic", "ldap-search-bind.json")
	p := openPTY(t)
	cmd, _, wait := startOnTerminal(t, p, example, "alice")
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err = wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 130 {
		t.Fatalf("exit after SIGINT: %v, want status 130", err)
	}
	if !p.echoOn(t) {
		t.Error("echo stayed off after the interrupt")
	}
}
