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

// TestSambaWatchMechanisms pins down what the Samba AD DC really offers an
// ordinary service account for following changes (docs/revocation.md):
// the root DSE lists DirSync and change notification but not RFC 4533;
// DirSync is refused (operations error: it needs the replicating-changes
// right); a change-notification search is accepted and pushes a modified
// entry. The plugin polls uSNChanged, which needs no special right and,
// unlike notification, sees deletes through its existence check.
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
	if caps.Syncrepl || !caps.DirSync || !caps.Notification || !caps.ActiveDirectory || caps.HighestUSN == "" {
		t.Fatalf("root DSE: syncrepl %v, DirSync %v, notification %v, AD %v, highestCommittedUSN %q; want false, true, true, true, set",
			caps.Syncrepl, caps.DirSync, caps.Notification, caps.ActiveDirectory, caps.HighestUSN)
	}

	_, dirSyncErr := conn.DirSync(ldap.NewSearchRequest(adtest.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=user)", []string{"1.1"}, nil), 0, 0, nil)
	if !ldap.IsErrorWithCode(dirSyncErr, ldap.LDAPResultOperationsError) {
		t.Fatalf("DirSync as an ordinary account: %v, want operations error (no replicating-changes right)", dirSyncErr)
	}

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
		if dn != alice.DN {
			t.Fatalf("change notification pushed %q, want %q", dn, alice.DN)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("change notification pushed nothing within 3s of a change")
	}
	cancel()
}

func errText(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}
