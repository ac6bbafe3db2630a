package addns

import (
	"os"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/adtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/e2e/e2etest"
)

// TestMain captures the gateway log at debug level for the whole run and
// fails the run if it holds a password or a panic.
func TestMain(m *testing.M) {
	secrets := []string{wrongPassword}
	for _, u := range adtest.SampleUsers() {
		secrets = append(secrets, u.Password)
	}
	os.Exit(e2etest.RunLogChecked(m, secrets))
}
