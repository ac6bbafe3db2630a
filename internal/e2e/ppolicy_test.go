package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
)

// OpenLDAP's password policy overlay (ppolicy) through the loaded plugin:
// the gateway never drives an account's failure count to the directory's
// own lockout, a ppolicy-locked or expired account answers 401 with the
// reason in the gateway log, and a directory-reported lock stops further
// binds through the gateway.
func TestPasswordPolicy(t *testing.T) {
	e := newEnvWith(t, tykhost.Options{}, slapdtest.WithPasswordPolicy(slapdtest.PasswordPolicy{MaxFailure: 5}))
	e.load(e.api(classic, "pp", e.direct("max_failures", 3, "failure_window", "1m")))
	aliceDN := "uid=alice," + slapdtest.PeopleDN

	t.Run("never past pwdMaxFailure", func(t *testing.T) {
		statuses := map[int]int{}
		for _, r := range e.burst(wrongPasswordBurst("pp", []string{"alice", "Alice", " alice"}, 40)) {
			statuses[r.status]++
		}
		for i := range 10 {
			statuses[e.as("pp", "alice", fmt.Sprintf("sequential-%d", i)).status]++
		}
		if statuses[401]+statuses[429] != 50 {
			t.Fatalf("statuses %v, want only 401 and 429", statuses)
		}
		failures, err := e.ldap.PasswordFailures(aliceDN)
		if err != nil {
			t.Fatal(err)
		}
		locked, err := e.ldap.AccountLocked(aliceDN)
		if err != nil {
			t.Fatal(err)
		}
		if failures >= 5 || locked {
			t.Fatalf("the gateway drove alice to %d recorded failures (pwdMaxFailure 5), locked %v", failures, locked)
		}
		if failures != 3 {
			t.Fatalf("%d failures recorded by slapd, want exactly max_failures (3)", failures)
		}
	})

	t.Run("locked by the directory", func(t *testing.T) {
		bobDN := "uid=bob," + slapdtest.PeopleDN
		lockInDirectory(t, e.ldap, bobDN, 5)
		mark := gatewayLog.mark()
		checkDenial(t, e.as("pp", "bob", "bob-pass-1"), 401, msgInvalid, challenge("Restricted"))
		if lines := logLines(gatewayLog.since(mark), "api_id=pp ", "account locked (password policy)"); len(lines) == 0 {
			t.Fatalf("no log line gives the policy's reason:\n%s", gatewayLog.since(mark))
		}
		// The gateway now refuses bob without asking the directory.
		before := e.counts()
		r := e.as("pp", "bob", "bob-pass-1")
		if r.status != http.StatusTooManyRequests || e.counts().Sub(before).BindsByDN[bobDN] != 0 {
			t.Fatalf("after a directory lock: status %d, binds %v; want 429 and none", r.status, e.counts().Sub(before).BindsByDN)
		}
	})

	t.Run("expired password", func(t *testing.T) {
		carolDN := "uid=carol," + slapdtest.PeopleDN
		if err := e.ldap.ExpirePassword(carolDN); err != nil {
			t.Fatal(err)
		}
		mark := gatewayLog.mark()
		checkDenial(t, e.as("pp", "carol", "carol-pass-1"), 401, msgInvalid, challenge("Restricted"))
		if lines := logLines(gatewayLog.since(mark), "api_id=pp ", "password expired (password policy)"); len(lines) == 0 {
			t.Fatalf("no log line gives the policy's reason:\n%s", gatewayLog.since(mark))
		}
	})
}

// lockInDirectory sends n wrong binds for dn straight to slapd, behind the
// gateway's back, until the overlay locks the account.
func lockInDirectory(t *testing.T, srv *slapdtest.Server, dn string, n int) {
	t.Helper()
	c, err := ldap.DialURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range n {
		_ = c.Bind(dn, "directly-wrong-"+strings.Repeat("x", i+1))
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		locked, err := srv.AccountLocked(dn)
		if err != nil {
			t.Fatal(err)
		}
		if locked {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d wrong binds did not lock %s in slapd", n, dn)
		}
		time.Sleep(20 * time.Millisecond) // poll the overlay's state
	}
}
