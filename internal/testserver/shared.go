package testserver

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

// Shared is one server per test binary, started on first use and stopped
// from TestMain: the tests that only read a sample directory share it
// instead of each paying a start.
type Shared[S interface{ Stop() error }] struct {
	mu     sync.Mutex
	server S
	up     bool
	err    error
}

// Get returns the shared server, starting it with start on first use. A
// failed start is remembered: every later Get fails the same way at once.
func (s *Shared[S]) Get(tb testing.TB, what string, start func() (S, error)) S {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.up && s.err == nil {
		s.server, s.err = start()
		s.up = s.err == nil
	}
	if s.err != nil {
		tb.Fatalf("cannot start the shared %s: %v", what, s.err)
	}
	return s.server
}

// Stop stops the shared server if one runs, and forgets a failed start so
// a later Get tries again.
func (s *Shared[S]) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	up, server := s.up, s.server
	var zero S
	s.server, s.up, s.err = zero, false, nil
	if !up {
		return nil
	}
	return server.Stop()
}

// Main runs the tests and then stops the shared server; a failed stop
// fails the run. Use it as the package's TestMain body.
func (s *Shared[S]) Main(m *testing.M) {
	code := m.Run()
	if err := s.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}
