package childproc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startReporting starts sh -c script and returns the first line it prints:
// scripts print once they are ready (a trap installed, a pid known).
func startReporting(t *testing.T, script string) (*Process, string) {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p, err := Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(time.Second) })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the script's first line: %v", err)
	}
	return p, strings.TrimSpace(line)
}

// gone reports whether pid no longer runs (absent, or a zombie waiting for
// whoever reaps orphans here).
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

func waitGone(t *testing.T, pid int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !gone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs after %s", pid, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStop(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		grace   time.Duration
		wantErr error
	}{
		{"exits on SIGTERM", `echo ready; exec sleep 60`, 5 * time.Second, nil},
		{"ignores SIGTERM: killed after the grace period", `trap "" TERM; echo ready; while :; do sleep 1; done`, 200 * time.Millisecond, ErrKilled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := startReporting(t, tc.script)
			start := time.Now()
			err := p.Stop(tc.grace)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Stop = %v, want %v", err, tc.wantErr)
			}
			if !p.Exited() {
				t.Fatal("Stop returned while the process runs")
			}
			if tc.wantErr == nil && time.Since(start) >= tc.grace {
				t.Fatalf("Stop took %s: SIGTERM was not delivered", time.Since(start))
			}
			if err := p.Stop(tc.grace); err != nil {
				t.Fatalf("second Stop = %v, want nil", err)
			}
		})
	}
}

// A grandchild that ignores SIGTERM outlives its parent unless the whole
// group is killed.
func TestStopTakesTheProcessGroup(t *testing.T) {
	p, line := startReporting(t, `(trap "" TERM; exec sleep 60) & echo $!; wait`)
	pid, err := strconv.Atoi(line)
	if err != nil {
		t.Fatalf("grandchild pid %q: %v", line, err)
	}
	if gone(pid) {
		t.Fatalf("grandchild %d is not running", pid)
	}
	if err := p.Stop(5 * time.Second); err != nil {
		t.Fatalf("Stop = %v", err)
	}
	waitGone(t, pid, 5*time.Second)
}

func TestDoneAndErr(t *testing.T) {
	p, err := Start(exec.Command("sh", "-c", "exit 3"))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done not closed after the process exited")
	}
	var exit *exec.ExitError
	if !errors.As(p.Err(), &exit) || exit.ExitCode() != 3 {
		t.Fatalf("Err = %v, want exit status 3", p.Err())
	}
}

func TestStartMissingProgram(t *testing.T) {
	if _, err := Start(exec.Command("/nonexistent/program")); err == nil {
		t.Fatal("Start of a missing program succeeded")
	}
}

// TestChildDiesWithParent runs this test binary as a parent that starts a
// child and exits without stopping it: the kernel must kill the child.
func TestChildDiesWithParent(t *testing.T) {
	if os.Getenv("CHILDPROC_HELPER_PARENT") == "1" {
		p, err := Start(exec.Command("sleep", "60"))
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(p.PID())
		os.Exit(0) // no Stop: the parent just dies
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildDiesWithParent$")
	cmd.Env = append(os.Environ(), "CHILDPROC_HELPER_PARENT=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(out)
	if err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("helper parent printed %q", b)
	}
	waitGone(t, pid, 5*time.Second)
}
