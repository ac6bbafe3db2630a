//go:build unix

package testproc

import (
	"errors"
	"fmt"
	"time"
)

// ErrExited is returned by Poll when the watched process ends first.
var ErrExited = errors.New("testproc: the process exited")

// Poll runs check every interval until it returns nil, exited is closed
// (nil: never) or timeout passes; it then returns nil, ErrExited, or an
// error wrapping check's last error. Watching exited between checks reports
// a server that dies at once instead of after the timeout.
func Poll(timeout, interval time.Duration, exited <-chan struct{}, check func() error) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("gave up after %s: %w", timeout, err)
		}
		select {
		case <-exited:
			return ErrExited
		case <-tick.C:
		}
	}
}

// WaitGone polls until pid has exited (a zombie counts as gone) or timeout
// passes.
func WaitGone(pid int, timeout time.Duration) error {
	return Poll(timeout, 5*time.Millisecond, nil, func() error {
		if Alive(pid) {
			return fmt.Errorf("pid %d is alive", pid)
		}
		return nil
	})
}
