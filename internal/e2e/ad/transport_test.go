package ad

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/adtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/e2e/e2etest"
)

// TestTransport backs the transport recipes: LDAPS and StartTLS, both
// verifying the DC's certificate with the domain's CA, sign users in. Plain
// ldap:// is refused by AD for simple binds ("Strong Auth Required"), which
// the gateway answers with a 500 (never 401: the password was not checked;
// never 503: retrying will not help) and an error line saying that AD
// requires TLS and what to set. An LDAPS URL without the domain's CA fails
// certificate verification: 503, as for any TLS failure.
func TestTransport(t *testing.T) {
	e := newEnv(t)
	alice := sampleUser(t, adtest.KeyAlice)
	e.resetAfter(alice.SAMAccountName)
	startTLS := []any{"urls", []string{e.dc.StartTLSURL()}, "start_tls", true}
	plain := []any{"urls", []string{e.dc.LDAPURL()}}
	e.Load(
		e.API(e2etest.Classic, "tls-ldaps-upn", e.upn()),
		e.API(e2etest.OAS, "tls-ldaps-search", e.search()),
		e.API(e2etest.Classic, "tls-starttls-upn", e.upn(startTLS...)),
		e.API(e2etest.Classic, "tls-starttls-search", e.search(startTLS...)),
		e.API(e2etest.Classic, "tls-plain-upn", e.upn(plain...)),
		e.API(e2etest.OAS, "tls-plain-search", e.search(plain...)),
		e.API(e2etest.Classic, "tls-no-ca", e.upn("tls_ca_file", nil, "dial_timeout", "2s")),
	)

	for _, api := range []string{"tls-ldaps-upn", "tls-ldaps-search", "tls-starttls-upn", "tls-starttls-search"} {
		t.Run(api, func(t *testing.T) {
			e := e.sub(t)
			e2etest.CheckGranted(t, e.As(api, alice.SAMAccountName, alice.Password), alice.SAMAccountName)
			e2etest.CheckDenial(t, e.As(api, alice.SAMAccountName, wrongPassword), http.StatusUnauthorized, e2etest.MsgInvalid, e2etest.Challenge(realm))
		})
	}
	if err := e.dc.ResetLockoutState(alice.SAMAccountName); err != nil {
		t.Fatal(err)
	}

	for _, api := range []string{"tls-plain-upn", "tls-plain-search"} {
		t.Run(api, func(t *testing.T) {
			e := e.sub(t)
			mark := e2etest.GatewayLog.Mark()
			for _, pass := range []string{alice.Password, wrongPassword} {
				e2etest.CheckDenial(t, e.As(api, alice.SAMAccountName, pass), http.StatusInternalServerError, e2etest.MsgMisconfigured, "")
			}
			lines := e2etest.LogLines(e2etest.GatewayLog.Since(mark), "level=error", "api_id="+e.id(api)+" ")
			if len(lines) == 0 {
				t.Fatalf("no error line for %s", api)
			}
			for _, want := range []string{"refuses simple binds without TLS", "Active Directory", "ldaps://", "start_tls: true"} {
				if !strings.Contains(lines[0], want) {
					t.Errorf("the error line does not say %q:\n%s", want, lines[0])
				}
			}
			// AD refuses the bind before it looks at the password.
			if n := e.badPwdCount(alice.SAMAccountName); n != 0 {
				t.Errorf("badPwdCount %d after binds over plain LDAP, want 0", n)
			}
		})
	}

	t.Run("tls-no-ca", func(t *testing.T) {
		e := e.sub(t)
		mark := e2etest.GatewayLog.Mark()
		e2etest.CheckDenial(t, e.As("tls-no-ca", alice.SAMAccountName, alice.Password), http.StatusServiceUnavailable, e2etest.MsgUnavailable, "")
		if lines := e2etest.LogLines(e2etest.GatewayLog.Since(mark), "api_id="+e.id("tls-no-ca")+" ", "certificate"); len(lines) == 0 {
			t.Error("no log line names the certificate problem")
		}
	})
}
