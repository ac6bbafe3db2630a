package testserver

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testproc"
)

// Config describes the server a Supervisor runs.
type Config struct {
	// Package and Program name the harness and the server in errors
	// ("slapdtest", "slapd").
	Package, Program string
	// Grace is how long Stop and Restart wait for the server to exit on
	// SIGTERM before they kill it.
	Grace time.Duration
	// ErrNotRunning is returned by Kill, Freeze and Thaw when no run is
	// live.
	ErrNotRunning error
	// Run starts run number n (1 for the first, then one more for every
	// attempt or restart) and returns once the server answers; when it
	// fails it leaves no process behind. It is called with the Supervisor's
	// lock held, so it must not call the Supervisor's methods.
	Run func(n int) (*testproc.Process, error)
}

// Supervisor runs one server for a harness across restarts: one run at a
// time, which tests kill (an outage), freeze (a hung server), thaw and
// restart. Its methods are safe for concurrent use and serialise with each
// other.
type Supervisor struct {
	cfg Config

	mu      sync.Mutex
	proc    *testproc.Process // nil when killed or stopped
	frozen  bool
	stopped bool
	runs    int
}

// NewSupervisor returns a Supervisor that has not started a run yet.
func NewSupervisor(cfg Config) *Supervisor { return &Supervisor{cfg: cfg} }

// Start starts the first run. pick, when not nil, chooses the server's
// ports before each attempt; a run that fails because one was taken in the
// meantime is retried with new ones (see RetryPortClash).
func (s *Supervisor) Start(pick func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return RetryPortClash(func() error {
		if pick != nil {
			if err := pick(); err != nil {
				return err
			}
		}
		return s.runLocked()
	})
}

func (s *Supervisor) runLocked() error {
	s.runs++
	p, err := s.cfg.Run(s.runs)
	if err != nil {
		return err
	}
	s.proc, s.frozen = p, false
	return nil
}

// Restart stops the server if it runs (gracefully, thawing it first) and
// starts a new run. It also recovers a killed server.
func (s *Supervisor) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return fmt.Errorf("%s: Restart after Stop", s.cfg.Package)
	}
	if s.proc != nil {
		s.proc.Terminate(s.cfg.Grace)
		s.proc = nil
	}
	return s.runLocked()
}

// Stop ends the server (SIGTERM, SIGKILL after Grace) and then runs
// cleanup, if not nil, returning the first error. It is idempotent: later
// calls do nothing and return nil.
func (s *Supervisor) Stop(cleanup func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	s.stopped = true
	var err error
	if s.proc != nil {
		if terr := Terminate(s.proc, s.cfg.Grace, s.cfg.Program); terr != nil {
			err = fmt.Errorf("%s: %w", s.cfg.Package, terr)
		}
		s.proc = nil
	}
	if cleanup != nil {
		if cerr := cleanup(); cerr != nil && err == nil {
			err = cerr
		}
	}
	return err
}

// Kill sends SIGKILL (an abrupt outage) and waits for the server to die.
func (s *Supervisor) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return s.cfg.ErrNotRunning
	}
	s.proc.Kill()
	s.proc = nil
	return nil
}

// Freeze sends SIGSTOP: connections still open (the kernel completes TCP
// handshakes) but nothing is answered until Thaw.
func (s *Supervisor) Freeze() error {
	return s.signalAndWait(syscall.SIGSTOP, true, func(st byte) bool { return st == 'T' || st == 't' })
}

// Thaw sends SIGCONT to a frozen server.
func (s *Supervisor) Thaw() error {
	return s.signalAndWait(syscall.SIGCONT, false, func(st byte) bool { return st != 'T' && st != 't' })
}

// signalAndWait sends sig and, as signals are asynchronous, waits until
// the kernel reports the state it causes, so the caller's next request
// really meets a frozen (or running) server.
func (s *Supervisor) signalAndWait(sig syscall.Signal, frozen bool, reached func(state byte) bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return s.cfg.ErrNotRunning
	}
	if err := s.proc.Signal(sig); err != nil {
		return err
	}
	s.frozen = frozen
	pid := s.proc.PID()
	err := testproc.Poll(2*time.Second, time.Millisecond, s.proc.Done(), func() error {
		st, err := testproc.State(pid)
		if err != nil || reached(st) {
			return nil // state unknown: the signal was still sent
		}
		return fmt.Errorf("%s (pid %d) in state %q", s.cfg.Program, pid, st)
	})
	if err != nil && !errors.Is(err, testproc.ErrExited) {
		return fmt.Errorf("%s: %w", s.cfg.Package, err)
	}
	return nil
}

// Running reports whether the server is running (possibly frozen).
func (s *Supervisor) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc != nil && !s.proc.Exited()
}

// Answering reports whether the server runs and is not frozen.
func (s *Supervisor) Answering() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc != nil && !s.frozen && !s.proc.Exited()
}

// PID returns the server's process id, or 0 when it is not running.
func (s *Supervisor) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return 0
	}
	return s.proc.PID()
}

// Runs is the number of the current (or last) run.
func (s *Supervisor) Runs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runs
}
