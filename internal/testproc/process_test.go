package testproc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitGone polls until pid is gone (or a zombie), failing after a deadline.
func waitGone(t *testing.T, pid int, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for Alive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("%s (pid %d) still alive", what, pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// readPID reads the first line of r as a pid.
func readPID(t *testing.T, r io.Reader) int {
	t.Helper()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("read pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("pid %q: %v", line, err)
	}
	return pid
}

func TestExitStatusIsReported(t *testing.T) {
	tests := []struct {
		name   string
		script string
		code   int
	}{
		{"success", "exit 0", 0},
		{"failure", "exit 3", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Start(exec.Command("/bin/sh", "-c", tc.script))
			if err != nil {
				t.Fatal(err)
			}
			<-p.Done()
			if !p.Exited() {
				t.Fatal("Exited is false after Done")
			}
			code := 0
			var ee *exec.ExitError
			if errors.As(p.Err(), &ee) {
				code = ee.ExitCode()
			} else if p.Err() != nil {
				t.Fatalf("Err: %v", p.Err())
			}
			if code != tc.code {
				t.Fatalf("exit code %d, want %d", code, tc.code)
			}
		})
	}
}

func TestStartRefusesAStartedCommand(t *testing.T) {
	cmd := exec.Command("/bin/sh", "-c", "exit 0")
	p, err := Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	<-p.Done()
	if _, err := Start(cmd); err == nil {
		t.Fatal("second Start of the same command succeeded")
	}
}

func TestStartReportsMissingProgram(t *testing.T) {
	if _, err := Start(exec.Command("/nonexistent/program")); err == nil {
		t.Fatal("Start of a missing program succeeded")
	}
}

func TestTerminate(t *testing.T) {
	tests := []struct {
		name       string
		script     string
		wantKilled bool
	}{
		{"obeys SIGTERM", "exec sleep 600", false},
		{"ignores SIGTERM", "trap '' TERM; echo ready; while :; do sleep 1; done", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("/bin/sh", "-c", tc.script)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			p, err := Start(cmd)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantKilled {
				// The trap must be installed before the signal is sent.
				if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
					t.Fatal(err)
				}
			}
			if killed := p.Terminate(300 * time.Millisecond); killed != tc.wantKilled {
				t.Fatalf("Terminate killed=%v, want %v", killed, tc.wantKilled)
			}
			if !p.Exited() || Alive(p.PID()) {
				t.Fatal("child alive after Terminate")
			}
			if err := p.Signal(syscall.SIGTERM); err != nil {
				t.Fatalf("Signal after exit: %v, want nil", err)
			}
		})
	}
}

// StartGroup's signals must reach the grandchildren too; Start's reach only
// the child.
func TestGroupSignalsReachGrandchildren(t *testing.T) {
	tests := []struct {
		name           string
		start          func(*exec.Cmd) (*Process, error)
		grandchildDies bool
	}{
		{"group", StartGroup, true},
		{"single", Start, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("/bin/sh", "-c", "sleep 600 & echo $!; wait")
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			p, err := tc.start(cmd)
			if err != nil {
				t.Fatal(err)
			}
			grandchild := readPID(t, out)
			t.Cleanup(func() { _ = syscall.Kill(grandchild, syscall.SIGKILL) })
			if tc.grandchildDies {
				pgid, err := syscall.Getpgid(p.PID())
				if err != nil || pgid != p.PID() {
					t.Fatalf("child pgid %d (%v), want its own pid %d", pgid, err, p.PID())
				}
			}
			p.Kill()
			if tc.grandchildDies {
				waitGone(t, grandchild, "grandchild")
			} else if !Alive(grandchild) {
				t.Fatal("Start's Kill reached the grandchild: signals are not limited to the child")
			}
		})
	}
}

// A test binary that dies without stopping its children must not leave them
// behind: the helper below starts a child and exits at once.
func TestChildDiesWithParent(t *testing.T) {
	for _, mode := range []string{"single", "group"} {
		t.Run(mode, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperAbandonChild$")
			// GORACE: a -race binary otherwise sleeps 1 s at exit.
			cmd.Env = append(os.Environ(), "TESTPROC_HELPER="+mode, "GORACE=atexit_sleep_ms=0")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("helper: %v\n%s", err, out)
			}
			var pid int
			for _, line := range strings.Split(string(out), "\n") {
				if f := strings.Fields(line); len(f) == 2 && f[0] == "CHILD" {
					pid, _ = strconv.Atoi(f[1])
				}
			}
			if pid == 0 {
				t.Fatalf("helper reported no child pid:\n%s", out)
			}
			waitGone(t, pid, "child of the exited helper")
		})
	}
}

func TestHelperAbandonChild(t *testing.T) {
	mode := os.Getenv("TESTPROC_HELPER")
	if mode == "" {
		return // only meaningful as the child of TestChildDiesWithParent
	}
	start := Start
	if mode == "group" {
		start = StartGroup
	}
	p, err := start(exec.Command("sleep", "600"))
	if err != nil {
		fmt.Println("HELPER-ERROR", err)
		os.Exit(2)
	}
	fmt.Printf("CHILD %d\n", p.PID())
	os.Exit(0) // no Kill: Pdeathsig must end the child
}

func TestState(t *testing.T) {
	p, err := Start(exec.Command("sleep", "600"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	tests := []struct {
		name string
		sig  syscall.Signal
		want func(byte) bool
	}{
		{"stopped", syscall.SIGSTOP, func(s byte) bool { return s == 'T' || s == 't' }},
		{"running again", syscall.SIGCONT, func(s byte) bool { return s != 'T' && s != 't' }},
	}
	for _, tc := range tests {
		if err := p.Signal(tc.sig); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(2 * time.Second)
		for {
			st, err := State(p.PID())
			if err != nil {
				t.Fatal(err)
			}
			if tc.want(st) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: state %q", tc.name, st)
			}
			time.Sleep(time.Millisecond)
		}
	}
	if _, err := State(-1); err == nil {
		t.Fatal("State of a nonexistent pid succeeded")
	}
}
