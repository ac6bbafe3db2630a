package e2e

import (
	"os"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/e2e/e2etest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// gatewayLog captures the gateway log of the whole test process at debug
// level (e2etest.GatewayLog), so tests can assert on decision lines and
// TestMain can prove that no test made the plugin log a sample-directory
// password or a panic.
var gatewayLog = logSink{e2etest.GatewayLog}

// logSink gives the shared sink the names these tests use.
type logSink struct{ *e2etest.LogSink }

// mark returns the current end of the log, for since.
func (s logSink) mark() int { return s.Mark() }

// since returns what was logged after mark.
func (s logSink) since(mark int) string { return s.Since(mark) }

func TestMain(m *testing.M) { os.Exit(e2etest.RunLogChecked(m, samplePasswords())) }

// addedPasswords are the passwords tests give the entries they add, and
// the common part of the wrong passwords the burst tests send.
var addedPasswords = []string{"mallory-pass-1", "erin-pass-1", "eve-pass-1", "bob-pass-2", "wrong-burst-", "watch-pass-1", "watch-changed-1", alicesNewPassword}

// samplePasswords is every sample-directory password, the service
// account's and addedPasswords. Every test sends these passwords, so
// finding none of them in the log is a process-wide "never log a password"
// check on top of TestLogging.
func samplePasswords() []string {
	secrets := append([]string{slapdtest.ServiceAccountPassword}, addedPasswords...)
	for _, u := range slapdtest.SampleUsers() {
		secrets = append(secrets, u.Password)
	}
	return secrets
}
