package testserver

import (
	"bufio"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testproc"
)

var errNotRunning = errors.New("not running")

// shRun is a Config.Run that starts sh -c script and waits for its first
// line, which scripts print once their traps are set.
func shRun(t *testing.T, script string) func(int) (*testproc.Process, error) {
	return func(int) (*testproc.Process, error) {
		cmd := exec.Command("/bin/sh", "-c", script)
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		p, err := testproc.Start(cmd)
		if err != nil {
			return nil, err
		}
		t.Cleanup(p.Kill)
		if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
			p.Kill()
			return nil, err
		}
		return p, nil
	}
}

func newSleeper(t *testing.T) *Supervisor {
	t.Helper()
	s := NewSupervisor(Config{Package: "pkgtest", Program: "sleeper", Grace: 5 * time.Second,
		ErrNotRunning: errNotRunning, Run: shRun(t, "echo ready; exec sleep 600")})
	if err := s.Start(nil); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSupervisorLifecycle(t *testing.T) {
	s := newSleeper(t)
	first := s.PID()
	if !s.Running() || !s.Answering() || first == 0 || s.Runs() != 1 {
		t.Fatalf("after Start: running %v answering %v pid %d runs %d", s.Running(), s.Answering(), first, s.Runs())
	}

	if err := s.Freeze(); err != nil {
		t.Fatal(err)
	}
	if st, err := testproc.State(first); err != nil || (st != 'T' && st != 't') {
		t.Fatalf("state after Freeze %q (%v), want stopped", st, err)
	}
	if !s.Running() || s.Answering() {
		t.Fatalf("frozen: running %v answering %v, want true false", s.Running(), s.Answering())
	}
	if err := s.Thaw(); err != nil {
		t.Fatal(err)
	}
	if st, err := testproc.State(first); err != nil || st == 'T' || st == 't' || !s.Answering() {
		t.Fatalf("state after Thaw %q (%v), answering %v", st, err, s.Answering())
	}

	if err := s.Freeze(); err != nil { // Restart must cope with a frozen run
		t.Fatal(err)
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if s.PID() == first || testproc.Alive(first) || s.Runs() != 2 || !s.Answering() {
		t.Fatalf("after Restart: pid %d (was %d, alive %v), runs %d, answering %v", s.PID(), first, testproc.Alive(first), s.Runs(), s.Answering())
	}

	second := s.PID()
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if s.Running() || s.PID() != 0 || testproc.Alive(second) {
		t.Fatalf("after Kill: running %v pid %d, old pid alive %v", s.Running(), s.PID(), testproc.Alive(second))
	}
	for name, op := range map[string]func() error{"Kill": s.Kill, "Freeze": s.Freeze, "Thaw": s.Thaw} {
		if err := op(); !errors.Is(err, errNotRunning) {
			t.Errorf("%s of a killed server: %v, want ErrNotRunning", name, err)
		}
	}
	if err := s.Restart(); err != nil || !s.Running() || s.Runs() != 3 {
		t.Fatalf("Restart after Kill: %v, running %v, runs %d", err, s.Running(), s.Runs())
	}

	third := s.PID()
	cleanups := 0
	cleanup := func() error { cleanups++; return errors.New("cleanup failed") }
	if err := s.Stop(cleanup); err == nil || err.Error() != "cleanup failed" {
		t.Fatalf("Stop = %v, want cleanup's error", err)
	}
	if err := s.Stop(cleanup); err != nil || cleanups != 1 {
		t.Fatalf("second Stop = %v after %d cleanups, want nil after 1", err, cleanups)
	}
	if testproc.Alive(third) || s.Running() {
		t.Fatalf("pid %d alive after Stop", third)
	}
	if err := s.Restart(); err == nil || !strings.Contains(err.Error(), "pkgtest: Restart after Stop") {
		t.Fatalf("Restart after Stop = %v", err)
	}
}

// Stop must also end a frozen server, and without SIGKILL: it thaws it
// before asking it to stop.
func TestSupervisorStopWhileFrozen(t *testing.T) {
	s := newSleeper(t)
	pid := s.PID()
	if err := s.Freeze(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(nil); err != nil {
		t.Fatalf("Stop of a frozen server: %v", err)
	}
	if testproc.Alive(pid) {
		t.Fatalf("pid %d survived Stop while frozen", pid)
	}
}

func TestSupervisorStopKillsWhatIgnoresSIGTERM(t *testing.T) {
	s := NewSupervisor(Config{Package: "pkgtest", Program: "stubborn", Grace: 100 * time.Millisecond,
		ErrNotRunning: errNotRunning, Run: shRun(t, `trap "" TERM; echo ready; while :; do sleep 1; done`)})
	if err := s.Start(nil); err != nil {
		t.Fatal(err)
	}
	pid := s.PID()
	err := s.Stop(nil)
	if err == nil || err.Error() != "pkgtest: stubborn ignored SIGTERM for 100ms and was killed" {
		t.Fatalf("Stop = %v", err)
	}
	if testproc.Alive(pid) {
		t.Fatal("still alive after Stop")
	}
}

// Start retries a run that lost a port to another process, with new ports,
// and nothing else.
func TestSupervisorStartRetriesPortClashes(t *testing.T) {
	clash := errors.New("bind: Address already in use")
	other := errors.New("bad configuration")
	tests := []struct {
		name      string
		failures  []error // what the runs return before one succeeds
		wantErr   error
		wantPicks int
	}{
		{"first run works", nil, nil, 1},
		{"two clashes, then it works", []error{clash, clash}, nil, 3},
		{"clashes every time", []error{clash, clash, clash}, clash, 3},
		{"another error is not retried", []error{other}, other, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			picks := 0
			sleeper := shRun(t, "echo ready; exec sleep 600")
			s := NewSupervisor(Config{Package: "pkgtest", Program: "sleeper", Grace: time.Second, ErrNotRunning: errNotRunning,
				Run: func(n int) (*testproc.Process, error) {
					if n <= len(tc.failures) {
						return nil, tc.failures[n-1]
					}
					return sleeper(n)
				}})
			t.Cleanup(func() { _ = s.Stop(nil) })
			err := s.Start(func() error { picks++; return nil })
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("Start = %v, want %v", err, tc.wantErr)
			}
			if picks != tc.wantPicks || s.Runs() != tc.wantPicks || s.Running() != (tc.wantErr == nil) {
				t.Fatalf("%d picks, %d runs, running %v; want %d, %d, %v", picks, s.Runs(), s.Running(), tc.wantPicks, tc.wantPicks, tc.wantErr == nil)
			}
		})
	}
	t.Run("a failed pick ends Start", func(t *testing.T) {
		s := NewSupervisor(Config{Package: "pkgtest", Program: "never", Run: func(int) (*testproc.Process, error) {
			return nil, fmt.Errorf("must not run")
		}})
		noPort := errors.New("no free port")
		if err := s.Start(func() error { return noPort }); !errors.Is(err, noPort) || s.Runs() != 0 {
			t.Fatalf("Start = %v after %d runs, want the pick's error and no run", err, s.Runs())
		}
	})
}
