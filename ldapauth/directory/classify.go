package directory

import (
	"errors"
	"regexp"

	ldap "github.com/go-ldap/ldap/v3"
)

// Every LDAP failure is classified here, so the same result code means the
// same thing whichever operation it came from.

// isTransport reports whether err means "no usable answer" (the connection
// broke, timed out, or never carried a reply) as opposed to an LDAP result
// the server chose to send. go-ldap returns a connection reset mid-request
// as a plain error, not an *ldap.Error.
func isTransport(err error) bool {
	if err == nil {
		return false
	}
	if _, classified := AsError(err); classified {
		return false
	}
	var le *ldap.Error
	if !errors.As(err, &le) {
		return true
	}
	switch le.ResultCode {
	case ldap.ErrorNetwork, ldap.ErrorUnexpectedMessage, ldap.ErrorUnexpectedResponse:
		return true
	}
	return false
}

// resultCode returns the LDAP result code carried by err, or 0.
func resultCode(err error) uint16 {
	var le *ldap.Error
	if errors.As(err, &le) {
		return le.ResultCode
	}
	return 0
}

// errTLSRequired is the advice for a directory that refuses simple binds
// on an unencrypted connection, as Active Directory does by default.
const errTLSRequired = "the directory refuses simple binds without TLS (Active Directory does): use an ldaps:// URL or set start_tls: true"

// classifyBind types the result of a user's bind. Only results that mean
// "these credentials may not log in" count as invalid credentials;
// everything else is the directory's or the configuration's problem, not
// the user's. policy is the password policy control the server returned, if
// any.
func classifyBind(err error, bindName string, policy *ldap.ControlBeheraPasswordPolicy) error {
	if err == nil {
		if state, refused := policyRefusal(policy); refused {
			return &Error{Kind: KindInvalidCredentials, Reason: "the directory accepted the password of " + bindName + " but restricts the account", AccountState: state}
		}
		return nil
	}
	if isTransport(err) {
		return err
	}
	switch resultCode(err) {
	case ldap.LDAPResultInvalidCredentials, ldap.LDAPResultInappropriateAuthentication,
		ldap.LDAPResultInsufficientAccessRights, ldap.LDAPResultUnwillingToPerform,
		ldap.LDAPResultConstraintViolation, ldap.LDAPResultNoSuchObject,
		ldap.LDAPResultInvalidDNSyntax, ldap.ErrorEmptyPassword:
		e := invalidCredentials("the directory rejected the bind as "+bindName, err)
		e.AccountState, e.Locked = accountState(err, policy)
		return e
	case ldap.LDAPResultConfidentialityRequired, ldap.LDAPResultStrongAuthRequired:
		return misconfigured(errTLSRequired, err)
	case ldap.LDAPResultAuthMethodNotSupported:
		return misconfigured("the directory does not accept simple binds", err)
	}
	return unavailable("bind as "+bindName+" failed", err)
}

// classifyServiceBind types a failed bind of the service account.
func classifyServiceBind(err error, server, bindDN string) error {
	if isTransport(err) {
		return unavailable("the service-account bind to "+server+" got no answer", err)
	}
	switch resultCode(err) {
	case ldap.LDAPResultConfidentialityRequired, ldap.LDAPResultStrongAuthRequired:
		return misconfigured(errTLSRequired, err)
	case ldap.LDAPResultBusy, ldap.LDAPResultUnavailable:
		return unavailable("the directory "+server+" is busy or unavailable", err)
	}
	return misconfigured("the directory "+server+" rejected the service account "+bindDN+" (check bind_dn and bind_password)", err)
}

// classifySearch types a failed search under base.
func classifySearch(err error, base string) error {
	if isTransport(err) {
		return err
	}
	switch resultCode(err) {
	case ldap.LDAPResultNoSuchObject:
		return misconfigured("the search base "+base+" does not exist", err)
	case ldap.LDAPResultConfidentialityRequired, ldap.LDAPResultStrongAuthRequired:
		return misconfigured(errTLSRequired, err)
	case ldap.LDAPResultInsufficientAccessRights, ldap.LDAPResultInappropriateAuthentication,
		ldap.LDAPResultUnwillingToPerform, ldap.LDAPResultOperationsError:
		return misconfigured("the directory refused the search under "+base+" (check the service account's rights, or set bind_dn)", err)
	case ldap.LDAPResultFilterError, ldap.ErrorFilterCompile:
		return misconfigured("the directory rejected the search filter", err)
	}
	return unavailable("the search under "+base+" failed", err)
}

// adDataCode finds Active Directory's sub-error in a bind diagnostic such
// as "80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext
// error, data 52e, v4563".
var adDataCode = regexp.MustCompile(`\bdata ([0-9a-fA-F]{3,8})\b`)

// adAccountStates are Active Directory's documented bind sub-errors.
var adAccountStates = map[string]string{
	"525": "no such user",
	"52e": "wrong password",
	"530": "not permitted to log on at this time",
	"531": "not permitted to log on at this workstation",
	"532": "password expired",
	"533": "account disabled",
	"701": "account expired",
	"773": "password must be changed",
	"775": "account locked out",
}

const adLockedOut = "775"

// Password policy (draft-behera-ldap-password-policy) errors on a bind.
const (
	ppolicyPasswordExpired  = 0
	ppolicyAccountLocked    = 1
	ppolicyChangeAfterReset = 2
)

// accountState decodes why the directory refused an account, from Active
// Directory's diagnostic data code or the password policy control.
func accountState(err error, policy *ldap.ControlBeheraPasswordPolicy) (state string, locked bool) {
	if policy != nil {
		switch policy.Error {
		case ppolicyAccountLocked:
			return "account locked (password policy)", true
		case ppolicyPasswordExpired:
			return "password expired (password policy)", false
		case ppolicyChangeAfterReset:
			return "password must be changed (password policy)", false
		}
	}
	var le *ldap.Error
	if !errors.As(err, &le) || le.Err == nil {
		return "", false
	}
	m := adDataCode.FindStringSubmatch(le.Err.Error())
	if m == nil {
		return "", false
	}
	code := normalizeDataCode(m[1])
	if state, known := adAccountStates[code]; known {
		return state + " (Active Directory data " + code + ")", code == adLockedOut
	}
	return "Active Directory data " + code, false
}

func normalizeDataCode(code string) string {
	b := []byte(code)
	for i, c := range b {
		if 'A' <= c && c <= 'F' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// policyRefusal reports a successful bind that the password policy still
// restricts: the password was reset and must be changed before use.
func policyRefusal(policy *ldap.ControlBeheraPasswordPolicy) (string, bool) {
	if policy != nil && policy.Error == ppolicyChangeAfterReset {
		return "password must be changed (password policy)", true
	}
	return "", false
}
