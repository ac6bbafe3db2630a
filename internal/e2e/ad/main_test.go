package ad

import (
	"fmt"
	"os"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/adtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/e2e/e2etest"
)

// TestMain does what adtest.Main does (run, then stop the shared DC so the
// machine's only DC slot is free for the next binary) and, like
// internal/e2e, captures the gateway log at debug level for the whole run
// and fails the run if it holds a password or a panic.
func TestMain(m *testing.M) {
	code := e2etest.RunLogChecked(m, passwords())
	if err := adtest.StopShared(); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: stopping the shared AD DC:", err)
		code = 1
	}
	os.Exit(code)
}

// passwords is every password these tests send that a log must never
// hold: the sample users', the service account's and the wrong ones.
func passwords() []string {
	secrets := []string{serviceAccountPassword, wrongPassword, watchPassword, changedPassword, changedPassword2}
	for _, u := range adtest.SampleUsers() {
		secrets = append(secrets, u.Password)
	}
	return secrets
}
