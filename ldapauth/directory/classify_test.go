package directory

import (
	"errors"
	"io"
	"strings"
	"testing"

	ldap "github.com/go-ldap/ldap/v3"
)

// adBindError is what Active Directory sends for a refused simple bind: 49
// with the sub-error in the diagnostic message.
func adBindError(data string) error {
	return ldap.NewError(ldap.LDAPResultInvalidCredentials,
		errors.New("80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext error, data "+data+", v4563\x00"))
}

func policyControl(code int8) *ldap.ControlBeheraPasswordPolicy {
	c := ldap.NewControlBeheraPasswordPolicy()
	c.Error = code
	return c
}

// Every Active Directory sub-error the package knows, with the state a log
// reader must see.
func TestClassifyActiveDirectoryDataCodes(t *testing.T) {
	tests := []struct {
		data       string
		wantState  string
		wantLocked bool
	}{
		{"525", "no such user (Active Directory data 525)", false},
		{"52e", "wrong password (Active Directory data 52e)", false},
		{"52E", "wrong password (Active Directory data 52e)", false},
		{"530", "not permitted to log on at this time (Active Directory data 530)", false},
		{"531", "not permitted to log on at this workstation (Active Directory data 531)", false},
		{"532", "password expired (Active Directory data 532)", false},
		{"533", "account disabled (Active Directory data 533)", false},
		{"701", "account expired (Active Directory data 701)", false},
		{"773", "password must be changed (Active Directory data 773)", false},
		{"775", "account locked out (Active Directory data 775)", true},
		{"56f", "Active Directory data 56f", false}, // not documented: the code alone
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.data, func(t *testing.T) {
			covered[normalizeDataCode(tt.data)] = true
			err := classifyBind(adBindError(tt.data), "CN=Alice,DC=corp", nil)
			de, ok := AsError(err)
			if !ok || de.Kind != KindInvalidCredentials {
				t.Fatalf("classifyBind = %v, want invalid credentials", err)
			}
			if de.AccountState != tt.wantState || de.Locked != tt.wantLocked {
				t.Fatalf("state %q locked %v, want %q %v", de.AccountState, de.Locked, tt.wantState, tt.wantLocked)
			}
			if !strings.Contains(de.Error(), tt.wantState) {
				t.Fatalf("the message %q does not carry the state", de.Error())
			}
			if want := map[bool]BindOutcome{true: BindLocked, false: BindRejected}[tt.wantLocked]; bindOutcome(err) != want {
				t.Fatalf("outcome %v, want %v", bindOutcome(err), want)
			}
		})
	}
	for code := range adAccountStates {
		if !covered[code] {
			t.Errorf("adAccountStates has %s, which this test does not check", code)
		}
	}
}

func TestAccountStateWithoutDataCode(t *testing.T) {
	for name, err := range map[string]error{
		"plain 49":           ldap.NewError(ldap.LDAPResultInvalidCredentials, errors.New("")),
		"49 without message": ldap.NewError(ldap.LDAPResultInvalidCredentials, nil),
		"data not a code":    ldap.NewError(ldap.LDAPResultInvalidCredentials, errors.New("metadata 52e")),
		"too short a code":   ldap.NewError(ldap.LDAPResultInvalidCredentials, errors.New("data 52")),
	} {
		if state, locked := accountState(err, nil); state != "" || locked {
			t.Errorf("%s: state %q locked %v, want none", name, state, locked)
		}
	}
}

// OpenLDAP's password policy response control (draft-behera) on a bind.
func TestClassifyPasswordPolicy(t *testing.T) {
	invalid := ldap.NewError(ldap.LDAPResultInvalidCredentials, errors.New(""))
	tests := []struct {
		name       string
		err        error
		policy     *ldap.ControlBeheraPasswordPolicy
		wantKind   Kind
		wantState  string
		wantLocked bool
	}{
		{"expired", invalid, policyControl(0), KindInvalidCredentials, "password expired (password policy)", false},
		{"locked", invalid, policyControl(1), KindInvalidCredentials, "account locked (password policy)", true},
		{"must change, refused", invalid, policyControl(2), KindInvalidCredentials, "password must be changed (password policy)", false},
		// The bind itself succeeded, but the account may only change its
		// password: refused.
		{"must change, bind succeeded", nil, policyControl(2), KindInvalidCredentials, "password must be changed (password policy)", false},
		{"no error in the control, bind succeeded", nil, policyControl(-1), 0, "", false},
		{"expiry warning only", nil, &ldap.ControlBeheraPasswordPolicy{Expire: 3600, Grace: -1, Error: -1}, 0, "", false},
		{"no control, refused", invalid, nil, KindInvalidCredentials, "", false},
		{"other policy error", invalid, policyControl(5), KindInvalidCredentials, "", false},
		// The policy wins over an AD data code (a server sends one or the
		// other; the control is the structured one).
		{"control and data code", adBindError("52e"), policyControl(1), KindInvalidCredentials, "account locked (password policy)", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classifyBind(tt.err, "uid=alice,dc=x", tt.policy)
			if KindOf(err) != tt.wantKind {
				t.Fatalf("kind %v (%v), want %v", KindOf(err), err, tt.wantKind)
			}
			if tt.wantKind == 0 {
				return
			}
			de, _ := AsError(err)
			if de.AccountState != tt.wantState || de.Locked != tt.wantLocked {
				t.Fatalf("state %q locked %v, want %q %v", de.AccountState, de.Locked, tt.wantState, tt.wantLocked)
			}
		})
	}
}

func TestClassifyBindResultCodes(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Kind // 0: returned unclassified, as a transport failure
	}{
		{"invalid credentials", ldap.NewError(ldap.LDAPResultInvalidCredentials, nil), KindInvalidCredentials},
		{"inappropriate authentication (unauthenticated bind)", ldap.NewError(ldap.LDAPResultInappropriateAuthentication, nil), KindInvalidCredentials},
		{"unwilling to perform", ldap.NewError(ldap.LDAPResultUnwillingToPerform, nil), KindInvalidCredentials},
		{"insufficient access", ldap.NewError(ldap.LDAPResultInsufficientAccessRights, nil), KindInvalidCredentials},
		{"constraint violation", ldap.NewError(ldap.LDAPResultConstraintViolation, nil), KindInvalidCredentials},
		{"no such object", ldap.NewError(ldap.LDAPResultNoSuchObject, nil), KindInvalidCredentials},
		{"invalid DN syntax", ldap.NewError(ldap.LDAPResultInvalidDNSyntax, nil), KindInvalidCredentials},
		{"empty password refused client-side", ldap.NewError(ldap.ErrorEmptyPassword, nil), KindInvalidCredentials},
		{"confidentiality required", ldap.NewError(ldap.LDAPResultConfidentialityRequired, nil), KindMisconfigured},
		{"strong auth required (AD on plain LDAP)", ldap.NewError(ldap.LDAPResultStrongAuthRequired, nil), KindMisconfigured},
		{"auth method not supported", ldap.NewError(ldap.LDAPResultAuthMethodNotSupported, nil), KindMisconfigured},
		{"busy", ldap.NewError(ldap.LDAPResultBusy, nil), KindUnavailable},
		{"unavailable", ldap.NewError(ldap.LDAPResultUnavailable, nil), KindUnavailable},
		{"other", ldap.NewError(ldap.LDAPResultOther, nil), KindUnavailable},
		{"network error", ldap.NewError(ldap.ErrorNetwork, io.EOF), 0},
		{"connection reset (plain error)", errors.New("read: connection reset by peer"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classifyBind(tt.err, "uid=alice,dc=x", nil)
			if KindOf(err) != tt.want {
				t.Fatalf("kind %v (%v), want %v", KindOf(err), err, tt.want)
			}
			if tt.want == 0 && (!isTransport(err) || err != tt.err) {
				t.Fatalf("a transport failure was altered: %v", err)
			}
		})
	}
}

func TestClassifyServiceBind(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{"wrong password", ldap.NewError(ldap.LDAPResultInvalidCredentials, nil), KindMisconfigured},
		{"no such account", ldap.NewError(ldap.LDAPResultNoSuchObject, nil), KindMisconfigured},
		{"TLS required", ldap.NewError(ldap.LDAPResultStrongAuthRequired, nil), KindMisconfigured},
		{"busy", ldap.NewError(ldap.LDAPResultBusy, nil), KindUnavailable},
		{"unavailable", ldap.NewError(ldap.LDAPResultUnavailable, nil), KindUnavailable},
		{"timeout", ldap.NewError(ldap.ErrorNetwork, errors.New("ldap: connection timed out")), KindUnavailable},
		{"reset", errors.New("EOF"), KindUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classifyServiceBind(tt.err, "ldap://x", "cn=svc,dc=x")
			if KindOf(err) != tt.want {
				t.Fatalf("kind %v (%v), want %v", KindOf(err), err, tt.want)
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("the cause is not wrapped: %v", err)
			}
		})
	}
}

func TestClassifySearch(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Kind // 0: returned unclassified, as a transport failure
	}{
		{"no such base", ldap.NewError(ldap.LDAPResultNoSuchObject, nil), KindMisconfigured},
		{"anonymous search refused", ldap.NewError(ldap.LDAPResultInsufficientAccessRights, nil), KindMisconfigured},
		{"operations error (AD without bind)", ldap.NewError(ldap.LDAPResultOperationsError, nil), KindMisconfigured},
		{"unwilling", ldap.NewError(ldap.LDAPResultUnwillingToPerform, nil), KindMisconfigured},
		{"TLS required", ldap.NewError(ldap.LDAPResultConfidentialityRequired, nil), KindMisconfigured},
		{"filter error", ldap.NewError(ldap.LDAPResultFilterError, nil), KindMisconfigured},
		{"filter does not compile", ldap.NewError(ldap.ErrorFilterCompile, nil), KindMisconfigured},
		{"busy", ldap.NewError(ldap.LDAPResultBusy, nil), KindUnavailable},
		{"time limit", ldap.NewError(ldap.LDAPResultTimeLimitExceeded, nil), KindUnavailable},
		{"network", ldap.NewError(ldap.ErrorNetwork, io.EOF), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := classifySearch(tt.err, "dc=x"); KindOf(err) != tt.want {
				t.Fatalf("kind %v (%v), want %v", KindOf(err), err, tt.want)
			}
		})
	}
}

func TestIsTransport(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain error", io.ErrUnexpectedEOF, true},
		{"network", ldap.NewError(ldap.ErrorNetwork, io.EOF), true},
		{"unexpected message", ldap.NewError(ldap.ErrorUnexpectedMessage, nil), true},
		{"unexpected response", ldap.NewError(ldap.ErrorUnexpectedResponse, nil), true},
		{"an LDAP result", ldap.NewError(ldap.LDAPResultInvalidCredentials, nil), false},
		{"already classified", unavailable("x", io.EOF), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isTransport(tt.err); got != tt.want {
				t.Fatalf("isTransport = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	err := &Error{Kind: KindInvalidCredentials, Reason: "the directory rejected the bind as uid=a,dc=x",
		AccountState: "account disabled", Err: io.EOF}
	if got, want := err.Error(), "invalid credentials: the directory rejected the bind as uid=a,dc=x (account disabled): EOF"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, io.EOF) || KindOf(err) != KindInvalidCredentials || KindOf(io.EOF) != 0 || KindOf(nil) != 0 {
		t.Fatal("Unwrap / KindOf broken")
	}
	kinds := map[string]bool{}
	for _, k := range []Kind{KindInvalidCredentials, KindUnavailable, KindBusy, KindMisconfigured, KindRefused} {
		kinds[k.String()] = true
	}
	if len(kinds) != 5 || kinds["unknown"] {
		t.Fatalf("kind names %v are not five distinct names", kinds)
	}
}
