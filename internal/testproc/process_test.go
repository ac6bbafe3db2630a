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

// waitGone fails the test unless pid is gone (or a zombie) within 5 s.
func waitGone(t *testing.T, pid int, what string) {
	t.Helper()
	if err := WaitGone(pid, 5*time.Second); err != nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("%s: %v", what, err)
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
			if p.Terminate(time.Second) {
				t.Fatal("a second Terminate reports a kill")
			}
		})
	}
}

// A group's members can outlive its leader (a grandchild that ignores
// SIGTERM, or one the leader left behind when it exited): Terminate and
// Kill of a group must take them too.
func TestGroupStopTakesLeftovers(t *testing.T) {
	terminate := func(t *testing.T, p *Process) {
		if p.Terminate(5 * time.Second) {
			t.Error("Terminate needed SIGKILL for a leader that obeys SIGTERM")
		}
	}
	tests := []struct {
		name             string
		leaderExitsFirst bool
		stop             func(*testing.T, *Process)
	}{
		{"Terminate while the leader runs", false, terminate},
		{"Terminate after the leader exited", true, terminate},
		{"Kill after the leader exited", true, func(_ *testing.T, p *Process) { p.Kill() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The grandchild prints its pid once its trap is set; the
			// leader exits when its stdin closes (or on SIGTERM).
			cmd := exec.Command("/bin/sh", "-c", `sh -c 'trap "" TERM; echo $$; exec sleep 600' & read -r _`)
			in, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			p, err := StartGroup(cmd)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(p.Kill)
			grandchild := readPID(t, out)
			t.Cleanup(func() { _ = syscall.Kill(grandchild, syscall.SIGKILL) })
			if tc.leaderExitsFirst {
				in.Close()
				<-p.Done()
				if !Alive(grandchild) || GroupGone(p.PID()) {
					t.Fatal("the grandchild did not outlive the leader")
				}
			}
			tc.stop(t, p)
			waitGone(t, grandchild, "grandchild")
			if err := Poll(5*time.Second, 5*time.Millisecond, nil, func() error {
				if !GroupGone(p.PID()) {
					return errors.New("the group has members")
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestPoll(t *testing.T) {
	exited := make(chan struct{})
	close(exited)
	failing := errors.New("not yet")
	tests := []struct {
		name      string
		okAfter   int // check succeeds from this call on; 0: never
		exited    <-chan struct{}
		timeout   time.Duration
		wantErr   error
		wantCalls int // 0: any number
	}{
		{"succeeds at once", 1, nil, time.Second, nil, 1},
		{"succeeds on the third check", 3, nil, 5 * time.Second, nil, 3},
		{"gives up after the timeout with the last error", 0, nil, 20 * time.Millisecond, failing, 0},
		{"stops when the process exits", 0, exited, time.Minute, ErrExited, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			start := time.Now()
			err := Poll(tc.timeout, time.Millisecond, tc.exited, func() error {
				calls++
				if tc.okAfter > 0 && calls >= tc.okAfter {
					return nil
				}
				return failing
			})
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("Poll = %v, want %v", err, tc.wantErr)
			}
			if tc.wantCalls != 0 && calls != tc.wantCalls {
				t.Fatalf("%d checks, want %d", calls, tc.wantCalls)
			}
			if errors.Is(err, failing) && (time.Since(start) < tc.timeout || !strings.Contains(err.Error(), tc.timeout.String())) {
				t.Fatalf("gave up after %s with %q, want after %s", time.Since(start), err, tc.timeout)
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
		err := Poll(2*time.Second, time.Millisecond, nil, func() error {
			st, err := State(p.PID())
			if err != nil || !tc.want(st) {
				return fmt.Errorf("state %q (%v)", st, err)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
	}
	if _, err := State(-1); err == nil {
		t.Fatal("State of a nonexistent pid succeeded")
	}
}
