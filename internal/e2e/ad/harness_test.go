package ad

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	ldap "github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/adtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/e2e/e2etest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
)

// env is one test's world: the shared DC, and the real plugin loaded by a
// contract host of its own.
type env struct {
	*e2etest.Gateway
	t      *testing.T
	dc     *adtest.DC
	suffix string // of every API ID, see id
}

// envs counts the envs of this process.
var envs atomic.Int64

func newEnv(t *testing.T) *env {
	t.Helper()
	dc := adtest.Shared(t)
	return &env{Gateway: e2etest.NewGateway(t, "../../../plugin", tykhost.Options{}), t: t, dc: dc,
		suffix: fmt.Sprintf("-%d", envs.Add(1))}
}

// sub is e for the subtest t: its helpers fail t, and its cleanups run
// when t ends.
func (e *env) sub(t *testing.T) *env {
	return &env{Gateway: e.Gateway.For(t), t: t, dc: e.dc, suffix: e.suffix}
}

// id is the API ID of the API a test calls name. The plugin is loaded once
// per process (Go cannot unload it) and keeps an API's authenticator, with
// its cache, for an unchanged configuration of that API ID, whichever host
// loaded it; a suffix per env gives every test fresh APIs, also when the
// tests run again in the same process (-count).
func (e *env) id(name string) string { return name + e.suffix }

// API builds the API called name (see id).
func (e *env) API(f e2etest.Flavour, name string, cfg map[string]any, opts ...e2etest.APIOption) tykhost.APIs {
	e.t.Helper()
	return e.Gateway.API(f, e.id(name), cfg, opts...)
}

// As sends GET /<id(name)>/ with Basic credentials.
func (e *env) As(name, user, pass string) e2etest.Reply {
	e.t.Helper()
	return e.Gateway.As(e.id(name), user, pass)
}

// Names of the sample domain the recipes use.
const (
	upnTemplate       = "{username}@" + adtest.DNSDomain
	downLevelTemplate = adtest.Domain + `\{username}`
	samFilter         = "(sAMAccountName={username})"
	// personFilter also leaves out computer accounts, whose objectClass
	// includes user.
	personFilter = "(&(objectCategory=person)(objectClass=user)(sAMAccountName={username}))"
	realm        = "Restricted"
)

// wrongPassword is a password no account has.
const wrongPassword = "Not-The-Password-9"

// The service account for search-then-bind: an ordinary domain user (every
// authenticated user may search the domain), added once per DC.
const (
	serviceAccountName     = "svc-tyk-gateway"
	serviceAccountPassword = "Svc-Gateway-Pass-1"
	serviceAccountDN       = "CN=Tyk Gateway Service,CN=Users," + adtest.BaseDN
)

var serviceAccount struct {
	sync.Mutex
	dc *adtest.DC // the DC it was added to
}

// ensureServiceAccount adds the service account to the shared DC unless it
// has it already.
func (e *env) ensureServiceAccount() {
	e.t.Helper()
	serviceAccount.Lock()
	defer serviceAccount.Unlock()
	if serviceAccount.dc == e.dc {
		return
	}
	dn, err := e.dc.AddUser(adtest.NewUser{SAMAccountName: serviceAccountName, Password: serviceAccountPassword,
		CN: "Tyk Gateway Service", ParentDN: "CN=Users," + adtest.BaseDN})
	if err != nil {
		e.t.Fatalf("adding the service account: %v", err)
	}
	if dn != serviceAccountDN {
		e.t.Fatalf("service account DN %q, want %q", dn, serviceAccountDN)
	}
	serviceAccount.dc = e.dc
}

// ldapsConn is a connection to the DC's LDAPS port that verifies its
// certificate, for a test that talks to AD directly, not through the
// gateway. The caller closes it.
func (e *env) ldapsConn() *ldap.Conn {
	e.t.Helper()
	conn, err := ldap.DialURL(e.dc.LDAPSURL(), ldap.DialWithTLSConfig(e.dc.ClientTLSConfig()))
	if err != nil {
		e.t.Fatal(err)
	}
	return conn
}

// serviceConn is ldapsConn bound as the service account (added to the DC
// first if needed). The caller closes it.
func (e *env) serviceConn() *ldap.Conn {
	e.t.Helper()
	e.ensureServiceAccount()
	conn := e.ldapsConn()
	if err := conn.Bind(serviceAccountDN, serviceAccountPassword); err != nil {
		conn.Close()
		e.t.Fatalf("service account bind: %v", err)
	}
	return conn
}

// Plugin configurations (config_data), one per recipe of
// docs/active-directory.md. All of them verify the DC's certificate with
// the domain's CA and take the canonical username from sAMAccountName.

// ldaps is the transport every recipe shares.
func (e *env) ldaps(pairs ...any) map[string]any {
	return e2etest.With(map[string]any{
		"urls":               []string{e.dc.LDAPSURL()},
		"tls_ca_file":        e.dc.CAFile(),
		"username_attribute": "sAMAccountName",
	}, pairs...)
}

// upn binds directly as {username}@corp.example.org and finds the entry
// that bound under the domain root.
func (e *env) upn(pairs ...any) map[string]any {
	return e2etest.With(e.ldaps("user_dn_template", upnTemplate, "search_base_dn", adtest.BaseDN), pairs...)
}

// upnWithService is upn with the service account, which resolves the
// userPrincipalName to its entry before the bind.
func (e *env) upnWithService(pairs ...any) map[string]any {
	e.t.Helper()
	e.ensureServiceAccount()
	return e2etest.With(e.upn("bind_dn", serviceAccountDN, "bind_password", serviceAccountPassword), pairs...)
}

// downLevel binds directly as CORP\{username}.
func (e *env) downLevel(pairs ...any) map[string]any {
	return e2etest.With(e.ldaps("user_dn_template", downLevelTemplate, "search_base_dn", adtest.BaseDN), pairs...)
}

// downLevelWithService is downLevel with the service account.
func (e *env) downLevelWithService(pairs ...any) map[string]any {
	e.t.Helper()
	e.ensureServiceAccount()
	return e2etest.With(e.downLevel("bind_dn", serviceAccountDN, "bind_password", serviceAccountPassword), pairs...)
}

// search finds the user by sAMAccountName from the domain root with the
// service account, then binds as the entry's DN.
func (e *env) search(pairs ...any) map[string]any {
	e.t.Helper()
	e.ensureServiceAccount()
	return e2etest.With(e.ldaps(
		"search_base_dn", adtest.BaseDN,
		"search_filter", samFilter,
		"bind_dn", serviceAccountDN,
		"bind_password", serviceAccountPassword,
	), pairs...)
}

// sampleUser returns the sample account with the given key.
func sampleUser(t *testing.T, key string) adtest.SampleUser {
	t.Helper()
	u, ok := adtest.SampleUserByKey(key)
	if !ok {
		t.Fatalf("no sample user %s", key)
	}
	return u
}

// resetAfter undoes, when the test ends, any bad-password count or lockout
// the test leaves on the shared DC's account user (a sAMAccountName).
func (e *env) resetAfter(user string) {
	e.t.Cleanup(func() {
		if err := e.dc.ResetLockoutState(user); err != nil {
			e.t.Errorf("resetting %s: %v", user, err)
		}
	})
}

// badPwdCount and lockoutTime read the DC's own lockout state of user.
func (e *env) badPwdCount(user string) int {
	e.t.Helper()
	n, err := e.dc.BadPwdCount(user)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) lockoutTime(user string) int64 {
	e.t.Helper()
	n, err := e.dc.LockoutTime(user)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// lockState describes user's lockout state for messages.
func (e *env) lockState(user string) string {
	return fmt.Sprintf("badPwdCount %d, lockoutTime %d", e.badPwdCount(user), e.lockoutTime(user))
}
