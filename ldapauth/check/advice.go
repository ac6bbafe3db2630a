package check

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	ldap "github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
)

// adviceContext is what advice needs to know about the check.
type adviceContext struct {
	cfg      *ldapauth.Config
	username string
	// caSource names the configured CA ("the CA in tls_ca_file (...)"), or
	// is empty when the system CAs verify.
	caSource string
}

// adviceTLSRequired is the advice for a directory that refuses simple
// binds or searches on a connection without TLS.
const adviceTLSRequired = "the directory requires TLS for simple binds (Active Directory does by default): use an ldaps:// URL or set start_tls: true"

// stepAdvice says what to change after a traced step failed. It may add
// what it learnt to step (a StartTLS certificate chain) and notes.
func (ac *adviceContext) stepAdvice(step *Step, s directory.Step) (string, []string) {
	err := s.Err
	switch s.Name {
	case directory.StepConnect:
		return connectAdvice(err, s.Detail, ac.cfg), nil
	case directory.StepTLS, directory.StepStartTLS:
		return ac.tlsAdvice(step, s)
	}
	if de, ok := directory.AsError(err); ok && de.AccountState != "" {
		return ac.userBindAdvice(err, s.Detail), nil
	}
	if code, ok := resultCode(err); ok && (code == ldap.LDAPResultConfidentialityRequired || code == ldap.LDAPResultStrongAuthRequired) {
		return adviceTLSRequired, nil
	}
	if isTransport(err) {
		return transportAdvice(step.Server, err, ac.cfg), nil
	}
	switch s.Name {
	case directory.StepServiceBind:
		return ac.serviceBindAdvice(err), nil
	case directory.StepUserBind:
		return ac.userBindAdvice(err, s.Detail), nil
	}
	return ac.searchAdvice(step, err), nil
}

func connectAdvice(err error, addr string, cfg *ldapauth.Config) string {
	var dns *net.DNSError
	var netErr net.Error
	switch {
	case errors.As(err, &dns):
		return fmt.Sprintf("the host name %s does not resolve here: check urls (the gateway resolves names on its own network, which may differ)", dns.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("nothing accepts connections at %s: check the host and port in urls, and that the directory server is running", addr)
	case errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("no answer from %s within dial_timeout (%v) during the TCP connect (host down, or a firewall dropping packets): check the host, the port and any firewall in between", addr, cfg.Directory.DialTimeout)
	}
	return fmt.Sprintf("cannot connect to %s: check urls", addr)
}

// transportAdvice is for a connection that broke or timed out after it was
// opened.
func transportAdvice(server string, err error, cfg *ldapauth.Config) string {
	if srv, perr := directory.ParseServer(server); perr == nil && !srv.Encrypted() && strings.HasSuffix(srv.Addr, ":636") {
		return fmt.Sprintf("the connection to %s got no LDAP answer, and port 636 is the ldaps port: use an ldaps:// URL", server)
	}
	if directory.IsTimeout(err) {
		return noAnswerAdvice(server, "an LDAP operation", "request_timeout", cfg.Directory.RequestTimeout)
	}
	return fmt.Sprintf("the connection to %s broke: check that the server answers LDAP on this port and is not restarting", server)
}

func (ac *adviceContext) serviceBindAdvice(err error) string {
	dn := ac.cfg.Directory.BindDN
	code, _ := resultCode(err)
	switch code {
	case ldap.LDAPResultInvalidCredentials:
		return fmt.Sprintf("wrong service account password (bind_password) for bind_dn %s, or no such entry: check both", dn)
	case ldap.LDAPResultInvalidDNSyntax:
		return fmt.Sprintf("bind_dn %s is not a DN the directory accepts", dn)
	case ldap.LDAPResultUnwillingToPerform, ldap.LDAPResultInappropriateAuthentication, ldap.LDAPResultInsufficientAccessRights:
		return fmt.Sprintf("the directory will not let bind_dn %s bind (%s): check that the account is enabled and may bind", dn, ldap.LDAPResultCodeMap[code])
	}
	return fmt.Sprintf("the directory rejected bind_dn %s: check bind_dn and bind_password", dn)
}

func (ac *adviceContext) userBindAdvice(err error, bindName string) string {
	de, _ := directory.AsError(err)
	if de != nil && de.AccountState != "" {
		return fmt.Sprintf("the password may be right, but the directory refuses the account %s: %s", bindName, de.AccountState)
	}
	code, _ := resultCode(err)
	switch {
	case code == ldap.LDAPResultInvalidCredentials && ac.cfg.SearchMode():
		return fmt.Sprintf("wrong password for %s (%s): the directory answered invalid credentials", ac.username, bindName)
	case code == ldap.LDAPResultInvalidCredentials:
		return fmt.Sprintf("wrong password for %s, or no entry %s: check the password and user_dn_template", ac.username, bindName)
	case code == ldap.LDAPResultInvalidDNSyntax:
		return fmt.Sprintf("%s is not a valid DN: check user_dn_template", bindName)
	}
	return fmt.Sprintf("the directory refused the bind as %s (%s)", bindName, ldap.LDAPResultCodeMap[code])
}

func (ac *adviceContext) searchAdvice(step *Step, err error) string {
	d := ac.cfg.Directory
	code, _ := resultCode(err)
	base := "search_base_dn " + d.SearchBaseDN
	switch step.Name {
	case "group search":
		base = "group_base_dn " + d.Groups.BaseDN
	case "read entry":
		base = "the entry that bound"
	}
	switch code {
	case ldap.LDAPResultNoSuchObject:
		return base + " does not exist in the directory"
	case ldap.LDAPResultInsufficientAccessRights, ldap.LDAPResultInappropriateAuthentication,
		ldap.LDAPResultUnwillingToPerform, ldap.LDAPResultOperationsError:
		if d.BindDN == "" {
			return "the directory refused an anonymous search under " + base + ": set bind_dn and bind_password to a service account that may read users"
		}
		return "the directory refused the search under " + base + ": give bind_dn " + d.BindDN + " read access there"
	case ldap.LDAPResultFilterError, ldap.ErrorFilterCompile:
		return "the directory rejected the filter: check search_filter and group_filter"
	}
	return "the search under " + base + " failed: " + err.Error()
}

// searchResultAdvice is for a search that worked but found no entry, or
// more than one, where exactly one is needed.
func (ac *adviceContext) searchResultAdvice(step Step, authErr error) string {
	d := ac.cfg.Directory
	filter := searchFilter(step)
	n := len(step.Entries)
	switch {
	case step.Name == "search" && n == 0:
		scope := "sub"
		if d.SearchScope == directory.ScopeOneLevel {
			scope = "one"
		}
		return fmt.Sprintf("no entry matches %s under %s (search_scope %q): check the username, search_base_dn, search_filter and search_scope; "+
			"the gateway answers 401 as for a wrong password", filter, d.SearchBaseDN, scope)
	case step.Name == "search":
		return fmt.Sprintf("search found %s for %s (%s): make search_filter match one, e.g. narrow search_base_dn, set search_scope \"one\", or add a condition such as (objectClass=inetOrgPerson)",
			atLeast(n), ac.username, strings.Join(step.Entries, "; "))
	}
	return ac.unattributedAdvice(authErr)
}

// atLeast says how many entries a search bounded at two found.
func atLeast(n int) string {
	if n >= 2 {
		return fmt.Sprintf("%d or more entries", n)
	}
	return countEntries(n)
}

// unattributedAdvice is for failures no traced operation reports: the
// directory's reason is written for operators already.
func (ac *adviceContext) unattributedAdvice(err error) string {
	if de, ok := directory.AsError(err); ok {
		return de.Reason
	}
	return err.Error()
}

// resultCode returns the LDAP result code err carries.
func resultCode(err error) (uint16, bool) {
	var le *ldap.Error
	if errors.As(err, &le) {
		return le.ResultCode, true
	}
	return 0, false
}

// isTransport reports an error that is not an answer from the server: the
// connection broke or timed out.
func isTransport(err error) bool {
	code, ok := resultCode(err)
	if !ok {
		return true
	}
	switch code {
	case ldap.ErrorNetwork, ldap.ErrorUnexpectedMessage, ldap.ErrorUnexpectedResponse:
		return true
	}
	return false
}
