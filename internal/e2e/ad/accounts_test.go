package ad

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/adtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/e2e/e2etest"
)

// TestAccountStates backs the account-state table of
// docs/active-directory.md: a bind AD refuses is a 401 with the
// WWW-Authenticate challenge whatever the reason (the client learns
// nothing about the account), and the gateway's audit line gives the
// reason decoded from AD's diagnostic data code. The right password is
// sent for every account but the wrong-password case.
func TestAccountStates(t *testing.T) {
	e := newEnv(t)
	lockout := sampleUser(t, adtest.KeyLockout)
	bob := sampleUser(t, adtest.KeyBob)
	e.resetAfter(lockout.SAMAccountName)
	e.resetAfter(bob.SAMAccountName)
	e.lockInAD(lockout)
	// After a 775 the gateway refuses the account for failure_window: keep
	// that short, the other tests use the account too.
	window := []any{"failure_window", "1s"}
	e.Load(
		e.API(e2etest.Classic, "state-upn", e.upn(window...)),
		e.API(e2etest.OAS, "state-search", e.search(window...)),
	)
	cases := []struct {
		key, password, code, reason string
	}{
		{adtest.KeyDisabled, "", "533", "account disabled"},
		{adtest.KeyExpired, "", "532", "password expired"},
		{adtest.KeyMustChange, "", "773", "password must be changed"},
		{adtest.KeyLockout, "", "775", "account locked out"},
		{adtest.KeyBob, wrongPassword, "52e", "wrong password"},
	}
	for _, api := range []string{"state-upn", "state-search"} {
		for _, tc := range cases {
			u := sampleUser(t, tc.key)
			t.Run(api+"/"+tc.code, func(t *testing.T) {
				e := e.sub(t)
				password := u.Password
				if tc.password != "" {
					password = tc.password
				}
				mark := e2etest.GatewayLog.Mark()
				e2etest.CheckDenial(t, e.As(api, u.SAMAccountName, password), http.StatusUnauthorized, e2etest.MsgInvalid, e2etest.Challenge(realm))
				want := tc.reason + " (Active Directory data " + tc.code + ")"
				lines := e2etest.LogLines(e2etest.GatewayLog.Since(mark), "level=info", `msg="request denied"`, "api_id="+e.id(api)+" ")
				if len(lines) != 1 || !strings.Contains(lines[0], want) || !strings.Contains(lines[0], "status=401") {
					t.Errorf("want one audit line with status=401 and %q, got:\n%s", want, strings.Join(lines, "\n"))
				}
			})
		}
	}
}

// lockInAD locks u in AD itself: LockoutThreshold wrong passwords, bound
// directly, not through the gateway.
func (e *env) lockInAD(u adtest.SampleUser) {
	e.t.Helper()
	conn := e.ldapsConn()
	defer conn.Close()
	for range adtest.LockoutThreshold {
		if err := conn.Bind(u.UPN, wrongPassword); adtest.Diagnostic(err) != "52e" {
			e.t.Fatalf("wrong-password bind as %s: %v, want data 52e", u.UPN, err)
		}
	}
	if e.lockoutTime(u.SAMAccountName) == 0 {
		e.t.Fatalf("%s is not locked after %d wrong passwords: %s", u.SAMAccountName, adtest.LockoutThreshold, e.lockState(u.SAMAccountName))
	}
}

// TestWrongServicePassword backs the service-account advice: a wrong
// bind_password is the gateway's fault, not the user's, so every request
// gets a 500 and an error line naming the service account; and AD counts
// each of those binds as a bad password of the service account, so it ends
// up locked out (and keeps answering 500 when the password is fixed, until
// it is unlocked).
func TestWrongServicePassword(t *testing.T) {
	e := newEnv(t)
	e.ensureServiceAccount()
	e.resetAfter(serviceAccountName)
	const api = "svc-wrong-password"
	e.Load(e.API(e2etest.Classic, api, e.search("bind_password", wrongPassword)))
	alice := sampleUser(t, adtest.KeyAlice)
	mark := e2etest.GatewayLog.Mark()
	for range adtest.LockoutThreshold + 1 {
		e2etest.CheckDenial(t, e.As(api, alice.SAMAccountName, alice.Password), http.StatusInternalServerError, e2etest.MsgMisconfigured, "")
	}
	if lines := e2etest.LogLines(e2etest.GatewayLog.Since(mark), "level=error", "api_id="+e.id(api)+" ", "rejected the service account"); len(lines) == 0 {
		t.Error("no error line names the service account")
	}
	if e.lockoutTime(serviceAccountName) == 0 {
		t.Fatalf("the service account is not locked out after %d binds with a wrong password: %s",
			adtest.LockoutThreshold+1, e.lockState(serviceAccountName))
	}
	e.Load(e.API(e2etest.Classic, api, e.search()))
	e2etest.CheckDenial(t, e.As(api, alice.SAMAccountName, alice.Password), http.StatusInternalServerError, e2etest.MsgMisconfigured, "")
	if err := e.dc.ResetLockoutState(serviceAccountName); err != nil {
		t.Fatal(err)
	}
	e2etest.CheckGranted(t, e.As(api, alice.SAMAccountName, alice.Password), alice.SAMAccountName)
}
