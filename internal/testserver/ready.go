package testserver

import (
	"errors"
	"fmt"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testproc"
)

// WaitReady polls check every interval until it passes, p exits, or timeout
// passes. The error says which: "PROGRAM exited during start-up (STATUS)"
// or "PROGRAM did not WHAT within TIMEOUT: LAST CHECK ERROR".
func WaitReady(p *testproc.Process, timeout, interval time.Duration, program, what string, check func() error) error {
	err := testproc.Poll(timeout, interval, p.Done(), check)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, testproc.ErrExited):
		return fmt.Errorf("%s exited during start-up (%v)", program, p.Err())
	default:
		return fmt.Errorf("%s did not %s within %s: %v", program, what, timeout, errors.Unwrap(err))
	}
}
