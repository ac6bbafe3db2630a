package ad

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/adtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/e2e/e2etest"
)

// failureWindow is the short failure_window of the lockout tests, so they
// can wait for it to pass.
const failureWindow = 2 * time.Second

// TestDirectoryLockStopsBinds: once AD answers a bind with data 775
// (account locked out), the gateway locks the account itself for
// failure_window, so no password for it reaches AD until then. Samba has
// no per-operation statistics, so "reaches AD" is measured with AD's own
// counters: after the 775 the account is unlocked in AD behind the
// gateway's back, and then any wrong password that reached AD would raise
// badPwdCount from 0, and the right one would be let in (200). Instead
// every attempt, under any spelling, is a 429 with a Retry-After and
// badPwdCount stays 0; at the Retry-After deadline the right password
// works again.
func TestDirectoryLockStopsBinds(t *testing.T) {
	e := newEnv(t)
	u := sampleUser(t, adtest.KeyLockout)
	e.resetAfter(u.SAMAccountName)
	const api = "lock-775"
	e.Load(e.API(e2etest.Classic, api, e.upn("max_failures", 3, "failure_window", failureWindow.String())))

	e.lockInAD(u)
	mark := e2etest.GatewayLog.Mark()
	e2etest.CheckDenial(t, e.As(api, u.SAMAccountName, u.Password), http.StatusUnauthorized, e2etest.MsgInvalid, e2etest.Challenge(realm))
	logged := e2etest.GatewayLog.Since(mark)
	if lines := e2etest.LogLines(logged, "level=warning", "api_id="+e.id(api)+" ", `reason="the directory reports the account locked"`,
		"locked_for="+failureWindow.String()); len(lines) != 1 {
		t.Errorf("want one warning that the directory reported the account locked, for %s; log:\n%s", failureWindow, logged)
	}

	if err := e.dc.ResetLockoutState(u.SAMAccountName); err != nil {
		t.Fatal(err)
	}
	var deadline time.Time
	for i, typed := range []string{u.SAMAccountName, strings.ToUpper(u.SAMAccountName), "Lockout.User"} {
		for _, pass := range []string{fmt.Sprintf("%s-%d", wrongPassword, i), u.Password} {
			r := e.As(api, typed, pass)
			got := time.Now() // after the answer was written: got+Retry-After is past the lock's end
			e2etest.CheckDenial(t, r, http.StatusTooManyRequests, e2etest.MsgThrottled, "")
			if d := got.Add(e2etest.RetryAfter(t, r, failureWindow)); d.After(deadline) {
				deadline = d
			}
		}
	}
	if n := e.badPwdCount(u.SAMAccountName); n != 0 {
		t.Fatalf("badPwdCount %d while the gateway held the lock: a wrong password reached AD", n)
	}

	time.Sleep(time.Until(deadline)) // the lock ends by the Retry-After the gateway announced
	e2etest.CheckGranted(t, e.As(api, u.SAMAccountName, u.Password), u.SAMAccountName)
}

// TestGatewayNeverLocksAD backs the lockout rule of thumb: with AD's
// lockout threshold 5 and max_failures 3, no number of wrong passwords
// sent through the gateway within failure_window locks the account in AD.
// A burst of 40 concurrent wrong passwords (every one different, so no two
// share a cache entry or an in-flight check, under several spellings and
// names of the account) and then sequential ones get 401 or 429; at most 3
// reach AD, so badPwdCount stays below 5 and lockoutTime 0. After the
// Retry-After deadline the right password works and AD's count is back to
// 0.
//
// jdoe has two names AD binds (john.doe@corp.example.org, its
// userPrincipalName, and jdoe@corp.example.org): with a service account the
// plugin resolves both to jdoe's entry before binding and they share one
// budget; without one it cannot, each name has its own budget, and
// max_failures must be 2 (2 names x 2 < 5) to keep AD from locking jdoe.
func TestGatewayNeverLocksAD(t *testing.T) {
	e := newEnv(t)
	limits := func(maxFailures int) []any {
		return []any{"max_failures", maxFailures, "failure_window", failureWindow.String()}
	}
	e.Load(
		e.API(e2etest.Classic, "never-upn", e.upn(limits(3)...)),
		e.API(e2etest.Classic, "never-downlevel", e.downLevel(limits(3)...)),
		e.API(e2etest.OAS, "never-search", e.search(limits(3)...)),
		e.API(e2etest.Classic, "never-upn-service", e.upnWithService(limits(3)...)),
		e.API(e2etest.Classic, "never-downlevel-service", e.downLevelWithService(limits(3)...)),
		e.API(e2etest.Classic, "never-upn-2", e.upn(limits(2)...)),
	)
	lockoutNames := []string{"lockout.user", "LOCKOUT.USER", "Lockout.User"}
	jdoeNames := []string{"jdoe", "john.doe", "JDOE", "John.Doe"}
	cases := []struct {
		name      string
		apis      []string // requests go to each in turn
		user      string
		spellings []string
		reach     int // wrong passwords that may reach AD
	}{
		{"upn", []string{"never-upn"}, adtest.KeyLockout, lockoutNames, 3},
		{"downlevel", []string{"never-downlevel"}, adtest.KeyLockout, lockoutNames, 3},
		{"search", []string{"never-search"}, adtest.KeyLockout, append(lockoutNames, " lockout.user"), 3},
		{"two names, service account", []string{"never-upn-service"}, adtest.KeyJDoe, jdoeNames, 3},
		{"two names, no service account", []string{"never-upn-2"}, adtest.KeyJDoe, jdoeNames, 4},
		// APIs on one directory (same servers, search base and limits)
		// share an account's budget when they key it by its entry.
		{"three APIs, one budget", []string{"never-upn-service", "never-downlevel-service", "never-search"},
			adtest.KeyJDoe, []string{"jdoe", "JDOE", "JDoe"}, 3},
	}
	for _, tc := range cases {
		u := sampleUser(t, tc.user)
		t.Run(tc.name, func(t *testing.T) {
			e := e.sub(t)
			e.resetAfter(u.SAMAccountName)
			if err := e.dc.ResetLockoutState(u.SAMAccountName); err != nil {
				t.Fatal(err)
			}
			e.neverLocked(tc.apis, u, tc.spellings, tc.reach)
		})
	}
}

// neverLocked sends the burst and the sequential wrong passwords of
// TestGatewayNeverLocksAD for u to apis, checks that at most reach of them
// reached AD and that AD did not lock u, then waits out the gateway's lock
// and signs u in.
func (e *env) neverLocked(apis []string, u adtest.SampleUser, spellings []string, reach int) {
	t := e.t
	const burst, sequential = 40, 10
	reqs := make([]e2etest.Request, burst)
	// Request i goes to the next API in turn, the spelling changes after
	// each round of APIs.
	api := func(i int) string { return apis[i%len(apis)] }
	typed := func(i int) string { return spellings[(i/len(apis))%len(spellings)] }
	for i := range reqs {
		reqs[i] = e2etest.Request{
			Path:   fmt.Sprintf("/%s/burst/%d", e.id(api(i)), i),
			Header: http.Header{"Authorization": {e2etest.Basic(typed(i), fmt.Sprintf("%s-burst-%02d", wrongPassword, i))}},
		}
	}
	replies := e.Burst(reqs)
	for i := range sequential {
		replies = append(replies, e.As(api(i), typed(i), fmt.Sprintf("%s-seq-%02d", wrongPassword, i)))
	}
	refused, throttled := 0, 0
	var deadline time.Time
	got := time.Now() // after every answer was written: got+Retry-After is past the lock's end
	for i, r := range replies {
		switch r.Status {
		case http.StatusUnauthorized:
			refused++
			e2etest.CheckDenial(t, r, http.StatusUnauthorized, e2etest.MsgInvalid, e2etest.Challenge(realm))
		case http.StatusTooManyRequests:
			throttled++
			e2etest.CheckDenial(t, r, http.StatusTooManyRequests, e2etest.MsgThrottled, "")
			if d := got.Add(e2etest.RetryAfter(t, r, failureWindow)); d.After(deadline) {
				deadline = d
			}
		default:
			t.Errorf("request %d: status %d (%q), want 401 or 429", i, r.Status, r.Body)
		}
	}
	n, locked := e.badPwdCount(u.SAMAccountName), e.lockoutTime(u.SAMAccountName)
	t.Logf("%v: %d wrong passwords: %d answered 401, %d answered 429; AD badPwdCount %d, lockoutTime %d",
		apis, len(replies), refused, throttled, n, locked)
	if refused > reach || n > reach || n >= adtest.LockoutThreshold || locked != 0 {
		t.Fatalf("%d wrong passwords reached AD (badPwdCount %d, lockoutTime %d): want at most %d, below the threshold %d",
			refused, n, locked, reach, adtest.LockoutThreshold)
	}
	if throttled == 0 {
		t.Fatal("no request was throttled")
	}

	time.Sleep(time.Until(deadline)) // the lock ends by the latest Retry-After the gateway announced
	for _, api := range apis {
		e2etest.CheckGranted(t, e.As(api, spellings[0], u.Password), u.SAMAccountName)
	}
	if n := e.badPwdCount(u.SAMAccountName); n != 0 {
		t.Errorf("badPwdCount %d after the right password, want 0", n)
	}
}
