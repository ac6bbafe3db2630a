package directory

import (
	"context"
	"slices"
	"strings"
	"testing"

	ldap "github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// Real OpenLDAP password policy (ppolicy overlay): what slapd reports about
// an account reaches the Error and the guard.
func TestPasswordPolicyStates(t *testing.T) {
	srv := slapdtest.StartT(t, slapdtest.WithPasswordPolicy(slapdtest.PasswordPolicy{MaxFailure: 3}))
	for _, st := range strategies {
		t.Run(st.name, func(t *testing.T) {
			d := newDirectory(t, st.options(t, srv))
			// Each strategy gets its own accounts: the overlay's state
			// persists across subtests.
			user := func(uid string) (string, string) {
				pw := uid + "-pass-1"
				dn, err := srv.AddUser(slapdtest.NewUser{UID: uid, Password: pw})
				if err != nil {
					t.Fatal(err)
				}
				return dn, pw
			}
			t.Run("locked", func(t *testing.T) {
				uid := "locked-" + st.name
				dn, pw := user(uid)
				r := &recorder{}
				for i := range 3 {
					if _, err := d.Authenticate(context.Background(), uid, "wrong", r.guard); KindOf(err) != KindInvalidCredentials {
						t.Fatalf("wrong password %d: %v", i+1, err)
					}
				}
				if locked, err := srv.AccountLocked(dn); err != nil || !locked {
					t.Fatalf("slapd did not lock the account: %v %v", locked, err)
				}
				_, err := d.Authenticate(context.Background(), uid, pw, r.guard)
				de, ok := AsError(err)
				if !ok || de.Kind != KindInvalidCredentials || !de.Locked || !strings.Contains(de.AccountState, "locked") {
					t.Fatalf("locked account, right password: %v; want invalid credentials, Locked, a state naming the lock", err)
				}
				want := []BindOutcome{BindRejected, BindRejected, BindRejected, BindLocked}
				if _, _, outcomes := r.snapshot(); !slices.Equal(outcomes, want) {
					t.Fatalf("guard outcomes %v, want %v", outcomes, want)
				}
			})
			t.Run("expired", func(t *testing.T) {
				dn, pw := user("expired-" + st.name)
				if err := srv.ExpirePassword(dn); err != nil {
					t.Fatal(err)
				}
				_, err := authenticate(d, "expired-"+st.name, pw)
				de, ok := AsError(err)
				if !ok || de.Kind != KindInvalidCredentials || de.Locked || !strings.HasPrefix(de.AccountState, "password expired") {
					t.Fatalf("expired password: %v; want invalid credentials with state \"password expired ...\"", err)
				}
			})
			t.Run("must change", func(t *testing.T) {
				dn, pw := user("reset-" + st.name)
				if err := srv.RequirePasswordChange(dn); err != nil {
					t.Fatal(err)
				}
				// At the LDAP level the bind succeeds and says the password
				// must be changed.
				policy, err := rawPolicyBind(t, srv, dn, pw)
				if err != nil || policy == nil || policy.Error != ppolicyChangeAfterReset {
					t.Fatalf("raw bind: %v, policy %+v; want success with changeAfterReset", err, policy)
				}
				r := &recorder{}
				id, err := d.Authenticate(context.Background(), "reset-"+st.name, pw, r.guard)
				de, ok := AsError(err)
				if !ok || de.Kind != KindInvalidCredentials || id != nil || de.AccountState != "password must be changed (password policy)" {
					t.Fatalf("must-change account: identity %v, error %v; want refused with the must-change state", id, err)
				}
				// The caller must not take it for a good login.
				if _, _, outcomes := r.snapshot(); len(outcomes) != 1 || outcomes[0] == BindSucceeded {
					t.Fatalf("guard outcomes %v", outcomes)
				}
			})
			// Untouched accounts are unaffected.
			mustAuthenticate(t, d, "alice", "alice-pass-1")
		})
	}
}

func rawPolicyBind(t *testing.T, srv *slapdtest.Server, dn, pw string) (*ldap.ControlBeheraPasswordPolicy, error) {
	t.Helper()
	c, err := ldap.DialURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.SimpleBind(ldap.NewSimpleBindRequest(dn, pw, []ldap.Control{ldap.NewControlBeheraPasswordPolicy()}))
	var policy *ldap.ControlBeheraPasswordPolicy
	if res != nil {
		policy, _ = ldap.FindControl(res.Controls, ldap.ControlTypeBeheraPasswordPolicy).(*ldap.ControlBeheraPasswordPolicy)
	}
	return policy, err
}
