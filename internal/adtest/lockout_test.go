package adtest

import (
	"strconv"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/ldaptest"
)

// resetLockout undoes a test's wrong binds on a shared account, before and
// after the test.
func resetLockout(t *testing.T, dc *DC, user string) {
	t.Helper()
	if err := dc.ResetLockoutState(user); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := dc.ResetLockoutState(user); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
}

func badPwdCount(t *testing.T, dc *DC, user string) int {
	t.Helper()
	n, err := dc.BadPwdCount(user)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func lockoutTime(t *testing.T, dc *DC, user string) int64 {
	t.Helper()
	v, err := dc.LockoutTime(user)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The domain object carries the policy the package documents.
func TestDomainPolicy(t *testing.T) {
	dc := Shared(t)
	c, err := dc.AdminConn()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res := search(t, c, BaseDN, ldap.ScopeBaseObject, "(objectClass=*)",
		"lockoutThreshold", "lockoutDuration", "lockOutObservationWindow", "pwdProperties", "minPwdAge", "maxPwdAge")
	e := res.Entries[0]
	tests := []struct{ attr, want string }{
		{"lockoutThreshold", strconv.Itoa(LockoutThreshold)},
		{"lockoutDuration", strconv.FormatInt(adInterval(LockoutDuration), 10)},
		{"lockOutObservationWindow", strconv.FormatInt(adInterval(LockoutObservationWindow), 10)},
		{"pwdProperties", "0"},
		{"minPwdAge", "0"},
		{"maxPwdAge", strconv.FormatInt(adInterval(42*24*time.Hour), 10)},
	}
	for _, tc := range tests {
		if got := e.GetAttributeValue(tc.attr); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.attr, got, tc.want)
		}
	}
}

// Five wrong passwords lock the account: each of them is still "data 52e"
// (the fifth sets lockoutTime), and from then on every bind, with the
// right password too, is "data 775". Unlocking resets badPwdCount.
func TestLockoutAfterThreshold(t *testing.T) {
	dc := Shared(t)
	u := sampleUser(t, KeyLockout)
	resetLockout(t, dc, u.SAMAccountName)
	for i := 1; i <= LockoutThreshold; i++ {
		err := bind(t, dc, ldaptest.LDAPS, u.UPN, "wrong-"+strconv.Itoa(i))
		if Diagnostic(err) != "52e" {
			t.Fatalf("wrong bind %d: %v, want data 52e", i, err)
		}
		if got := badPwdCount(t, dc, u.SAMAccountName); got != i {
			t.Fatalf("badPwdCount after %d wrong binds: %d", i, got)
		}
		locked := lockoutTime(t, dc, u.SAMAccountName) != 0
		if want := i == LockoutThreshold; locked != want {
			t.Fatalf("after %d wrong binds locked=%v, want %v", i, locked, want)
		}
	}
	for _, tc := range []struct{ name, password string }{
		{"right password", u.Password},
		{"wrong password", "wrong-again"},
	} {
		for _, name := range u.BindNames() {
			err := bind(t, dc, ldaptest.LDAPS, name, tc.password)
			if ldaptest.ResultCode(err) != ldap.LDAPResultInvalidCredentials || Diagnostic(err) != "775" {
				t.Fatalf("locked account, %s as %q: %v, want 49 data 775", tc.name, name, err)
			}
		}
	}
	if got := badPwdCount(t, dc, u.SAMAccountName); got != LockoutThreshold {
		t.Fatalf("binds to a locked account changed badPwdCount to %d", got)
	}
	if err := dc.Unlock(u.SAMAccountName); err != nil {
		t.Fatal(err)
	}
	if n, lt := badPwdCount(t, dc, u.SAMAccountName), lockoutTime(t, dc, u.SAMAccountName); n != 0 || lt != 0 {
		t.Fatalf("after Unlock badPwdCount=%d lockoutTime=%d, want 0 0", n, lt)
	}
	if err := bind(t, dc, ldaptest.LDAPS, u.UPN, u.Password); err != nil {
		t.Fatalf("bind after Unlock: %v", err)
	}
}

// badPwdCount counts wrong binds under every name form; a good bind resets
// it to 0.
func TestGoodBindResetsBadPwdCount(t *testing.T) {
	dc := Shared(t)
	u := sampleUser(t, KeyLockout)
	resetLockout(t, dc, u.SAMAccountName)
	for i, name := range u.BindNames() {
		if err := bind(t, dc, ldaptest.LDAPS, name, "wrong"); Diagnostic(err) != "52e" {
			t.Fatalf("wrong bind as %q: %v", name, err)
		}
		if got := badPwdCount(t, dc, u.SAMAccountName); got != i+1 {
			t.Fatalf("badPwdCount %d after %d wrong binds", got, i+1)
		}
	}
	if err := bind(t, dc, ldaptest.StartTLS, u.DN, u.Password); err != nil {
		t.Fatalf("good bind: %v", err)
	}
	if got := badPwdCount(t, dc, u.SAMAccountName); got != 0 {
		t.Fatalf("badPwdCount %d after a good bind, want 0", got)
	}
}

// A bind refused on a plain connection (result 8) never reaches the
// password check, so it is not a bad password.
func TestRefusedPlainBindDoesNotCount(t *testing.T) {
	dc := Shared(t)
	u := sampleUser(t, KeyLockout)
	resetLockout(t, dc, u.SAMAccountName)
	for range LockoutThreshold + 1 {
		if err := bind(t, dc, ldaptest.Plain, u.UPN, "wrong"); ldaptest.ResultCode(err) != ldap.LDAPResultStrongAuthRequired {
			t.Fatalf("plain bind: %v, want 8", err)
		}
	}
	if n, lt := badPwdCount(t, dc, u.SAMAccountName), lockoutTime(t, dc, u.SAMAccountName); n != 0 || lt != 0 {
		t.Fatalf("badPwdCount=%d lockoutTime=%d after plain binds, want 0 0", n, lt)
	}
}
