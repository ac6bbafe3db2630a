package redistest

import (
	"errors"
	"fmt"
	"time"
)

// errExited is returned by poll when the watched process ends first.
var errExited = errors.New("process exited")

// poll runs check every interval until it returns nil, exited is closed
// (nil: never) or timeout passes; it then returns nil, errExited, or an
// error wrapping check's last error. Waiting on exited between checks
// reports a server that dies at once instead of after the timeout.
func poll(timeout, interval time.Duration, exited <-chan struct{}, check func() error) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready within %s: %w", timeout, err)
		}
		select {
		case <-exited:
			return errExited
		case <-tick.C:
		}
	}
}
