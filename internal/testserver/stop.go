package testserver

import (
	"fmt"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testproc"
)

// Terminate stops p gracefully (see testproc.Process.Terminate) and fails,
// naming program, when it had to be killed after grace.
func Terminate(p *testproc.Process, grace time.Duration, program string) error {
	if p.Terminate(grace) {
		return fmt.Errorf("%s ignored SIGTERM for %s and was killed", program, grace)
	}
	return nil
}
