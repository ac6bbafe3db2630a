package ad

import (
	"context"
	"testing"
	"time"

	ldap "github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/adtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
)

// controlNotification is Active Directory's change-notification control.
const controlNotification = "1.2.840.113556.1.4.528"

// TestSambaWatchMechanisms records what the Samba AD DC really offers an
// ordinary service account for following changes, which is why the
// plugin polls uSNChanged there (docs/revocation.md).
func TestSambaWatchMechanisms(t *testing.T) {
	e := newEnv(t)
	e.ensureServiceAccount()
	conn, err := ldap.DialURL(e.dc.LDAPSURL(), ldap.DialWithTLSConfig(e.dc.ClientTLSConfig()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Bind(serviceAccountDN, serviceAccountPassword); err != nil {
		t.Fatal(err)
	}
	caps, err := directory.ReadCapabilities(conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("root DSE: syncrepl %v, DirSync %v, notification %v, AD %v, highestCommittedUSN %q",
		caps.Syncrepl, caps.DirSync, caps.Notification, caps.ActiveDirectory, caps.HighestUSN)

	_, dirSyncErr := conn.DirSync(ldap.NewSearchRequest(adtest.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=user)", []string{"1.1"}, nil), 0, 0, nil)
	t.Logf("DirSync as the service account: %v", dirSyncErr)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := ldap.NewSearchRequest(adtest.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"uSNChanged"}, []ldap.Control{&ldap.ControlString{ControlType: controlNotification, Criticality: true}})
	resp := conn.SearchAsync(ctx, req, 16)
	got := make(chan string, 1)
	go func() {
		for resp.Next() {
			if en := resp.Entry(); en != nil {
				select {
				case got <- en.DN:
				default:
				}
			}
		}
		select {
		case got <- "ended: " + errText(resp.Err()):
		default:
		}
	}()
	alice := sampleUser(t, adtest.KeyAlice)
	if err := e.dc.SetPassword(alice.SAMAccountName, alice.Password); err != nil {
		t.Fatal(err)
	}
	select {
	case dn := <-got:
		t.Logf("change notification as the service account: %s", dn)
	case <-time.After(3 * time.Second):
		t.Logf("change notification as the service account: nothing within 3s of a change")
	}
	cancel()
}

func errText(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}
