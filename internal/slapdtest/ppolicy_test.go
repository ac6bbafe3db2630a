package slapdtest

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/ldaptest"
)

// policyBind binds as dn with the password policy request control and
// returns the policy response control (nil when the server sent none) and
// the bind error.
func policyBind(t *testing.T, s *Server, dn, pw string) (*ldap.ControlBeheraPasswordPolicy, error) {
	t.Helper()
	c, err := dial(s, ldaptest.Plain, s.CAPEM())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	res, err := c.SimpleBind(ldap.NewSimpleBindRequest(dn, pw, []ldap.Control{ldap.NewControlBeheraPasswordPolicy()}))
	var policy *ldap.ControlBeheraPasswordPolicy
	if res != nil {
		policy, _ = ldap.FindControl(res.Controls, ldap.ControlTypeBeheraPasswordPolicy).(*ldap.ControlBeheraPasswordPolicy)
	}
	return policy, err
}

func TestRenderConfPasswordPolicy(t *testing.T) {
	for _, tc := range []struct {
		name     string
		policyDN string
		want     []string // in this order
		absent   string
	}{
		{"off", "", []string{"moduleload memberof", "overlay memberof"}, "ppolicy"},
		{"on", PasswordPolicyDN, []string{"moduleload memberof", "moduleload ppolicy", "database mdb", "overlay memberof",
			"overlay ppolicy", `ppolicy_default "` + PasswordPolicyDN + `"`, "ppolicy_use_lockout"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := renderConf(confData{SchemaDir: "/s", Suffix: BaseDN, PasswordPolicyDN: tc.policyDN})
			if err != nil {
				t.Fatal(err)
			}
			conf := string(b)
			at := 0
			for _, w := range tc.want {
				i := strings.Index(conf[at:], w)
				if i < 0 {
					t.Fatalf("%q missing (or out of order) in:\n%s", w, conf)
				}
				at += i + len(w)
			}
			if tc.absent != "" && strings.Contains(conf, tc.absent) {
				t.Fatalf("%q present in:\n%s", tc.absent, conf)
			}
		})
	}
}

// The overlay really locks, expires and flags accounts, and says so in the
// password policy response control.
func TestPasswordPolicy(t *testing.T) {
	s := StartT(t, WithPasswordPolicy(PasswordPolicy{MaxFailure: 3}))
	alice, _ := SampleUserByKey("ALICE")
	bob, _ := SampleUserByKey("BOB")
	carol, _ := SampleUserByKey("CAROL")
	dave, _ := SampleUserByKey("DAVE")

	// Loading the data as the rootdn does not flag the accounts.
	for _, u := range []SampleUser{alice, bob, carol, dave} {
		if policy, err := policyBind(t, s, u.DN, u.Password); err != nil || policy == nil || policy.Error != -1 {
			t.Fatalf("%s right after start: err %v, policy %+v; want success with an empty policy control", u.UID, err, policy)
		}
	}

	for i := range 3 {
		policy, err := policyBind(t, s, bob.DN, "wrong")
		if ldaptest.ResultCode(err) != ldap.LDAPResultInvalidCredentials || policy == nil || policy.Error != -1 {
			t.Fatalf("wrong password %d: err %v, policy %+v", i+1, err, policy)
		}
	}
	if locked, err := s.AccountLocked(bob.DN); err != nil || !locked {
		t.Fatalf("after 3 failures AccountLocked = %v, %v", locked, err)
	}
	if policy, err := policyBind(t, s, bob.DN, bob.Password); ldaptest.ResultCode(err) != ldap.LDAPResultInvalidCredentials || policy == nil || policy.Error != 1 {
		t.Fatalf("locked account, right password: err %v, policy %+v; want 49 with accountLocked (1)", err, policy)
	}

	if err := s.ExpirePassword(carol.DN); err != nil {
		t.Fatal(err)
	}
	if policy, err := policyBind(t, s, carol.DN, carol.Password); ldaptest.ResultCode(err) != ldap.LDAPResultInvalidCredentials || policy == nil || policy.Error != 0 {
		t.Fatalf("expired password: err %v, policy %+v; want 49 with passwordExpired (0)", err, policy)
	}

	if err := s.RequirePasswordChange(alice.DN); err != nil {
		t.Fatal(err)
	}
	if policy, err := policyBind(t, s, alice.DN, alice.Password); err != nil || policy == nil || policy.Error != 2 {
		t.Fatalf("reset password: err %v, policy %+v; want success with changeAfterReset (2)", err, policy)
	}

	// The others are untouched.
	if locked, err := s.AccountLocked(dave.DN); err != nil || locked {
		t.Fatalf("dave AccountLocked = %v, %v", locked, err)
	}
	if policy, err := policyBind(t, s, dave.DN, dave.Password); err != nil || policy == nil || policy.Error != -1 {
		t.Fatalf("dave: err %v, policy %+v", err, policy)
	}
}

// Without the option nothing locks, and the helpers say why they cannot
// work.
func TestNoPasswordPolicyByDefault(t *testing.T) {
	s := StartT(t)
	bob, _ := SampleUserByKey("BOB")
	for range 4 {
		if _, err := policyBind(t, s, bob.DN, "wrong"); ldaptest.ResultCode(err) != ldap.LDAPResultInvalidCredentials {
			t.Fatalf("wrong password: %v", err)
		}
	}
	if policy, err := policyBind(t, s, bob.DN, bob.Password); err != nil || policy != nil {
		t.Fatalf("right password after failures: err %v, policy %+v; want success and no policy control", err, policy)
	}
	for name, err := range map[string]error{
		"ExpirePassword":        s.ExpirePassword(bob.DN),
		"RequirePasswordChange": s.RequirePasswordChange(bob.DN),
	} {
		if !errors.Is(err, ErrNoPasswordPolicy) {
			t.Errorf("%s: %v, want ErrNoPasswordPolicy", name, err)
		}
	}
	if _, err := s.AccountLocked(bob.DN); !errors.Is(err, ErrNoPasswordPolicy) {
		t.Errorf("AccountLocked: %v, want ErrNoPasswordPolicy", err)
	}
}
