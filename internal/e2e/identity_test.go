package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
)

// TestNonUniqueUsernameAttribute: with username_attribute mail, a second
// entry (uid=mallory) carrying alice's mail must not give mallory alice's
// identity. Both are refused with 500 (the directory data makes the
// identity ambiguous, which only an operator can fix) and the log names
// the value that is not unique and both entries holding it; a user whose mail is unique still gets in,
// identified by that mail.
//
// Then bob's entry is replaced by a new entry with the same uid and mail:
// the same username, another entry. The session key follows the entry, not
// the username, so the host stores two sessions with equal ldap_username
// under two different KeyIDs.
func TestNonUniqueUsernameAttribute(t *testing.T) {
	e := newEnv(t)
	malloryDN, err := e.ldap.AddUser(slapdtest.NewUser{UID: "mallory", Password: "mallory-pass-1", Mail: "alice@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	alice, _ := slapdtest.SampleUserByKey("ALICE")
	mark := gatewayLog.mark()
	secret := []interface{}{"username_attribute", "mail", "session_key_secret", "e2e-identity-secret-0123456789"}
	cases := []struct {
		api string
		cfg map[string]interface{}
		// uniqueWorks: the uniqueness search can see the other entries.
		uniqueWorks bool
	}{
		{"ident-mail-search", e.search(secret...), true},
		{"ident-mail-direct-svc", e.direct(append(secret, "bind_dn", slapdtest.ServiceAccountDN, "bind_password", slapdtest.ServiceAccountPassword)...), true},
		// Without a service account the uniqueness search would run as the
		// user who just bound, who may see no entry but their own: the
		// configuration is refused (bind_dn is required), so every login
		// answers 500.
		{"ident-mail-direct-self", e.direct(secret...), false},
	}
	var all []tykhost.APIs
	for _, tc := range cases {
		all = append(all, e.api(classic, tc.api, tc.cfg))
	}
	e.load(all...)

	bobKeys := map[string]string{}
	for _, tc := range cases {
		t.Run(tc.api, func(t *testing.T) {
			for _, u := range [][2]string{{"alice", "alice-pass-1"}, {"mallory", "mallory-pass-1"}} {
				r, rec := e.record(func() reply { return e.as(tc.api, u[0], u[1]) })
				checkDenial(t, r, http.StatusInternalServerError, msgMisconfigured, "")
				if rec.KeyID != "" || rec.Alias != "" {
					t.Errorf("%s was refused but carries a session: %+v", u[0], rec)
				}
			}
			if !tc.uniqueWorks {
				return
			}
			// The line names both entries, whichever logged in: the
			// operator must find the one that took the value.
			lines := logLines(gatewayLog.since(mark), "api_id="+tc.api+" ", "alice@example.org", "also held by")
			if len(lines) == 0 || !strings.Contains(lines[0], "level=error") {
				t.Errorf("want an error line naming the non-unique value alice@example.org, got %q", lines)
			}
			for _, line := range lines {
				if !strings.Contains(line, alice.DN) || !strings.Contains(line, malloryDN) {
					t.Errorf("the line does not name both entries (%s, %s): %s", alice.DN, malloryDN, line)
				}
			}
			r, rec := e.record(func() reply { return e.as(tc.api, "bob", "bob-pass-1") })
			checkGranted(t, r, "bob@example.org")
			if strings.Contains(strings.ToLower(rec.KeyID), "bob") {
				t.Errorf("KeyID %q shows the username", rec.KeyID)
			}
			bobKeys[tc.api] = rec.KeyID
		})
	}

	// Same username, new entry (a new entryUUID).
	bob, _ := slapdtest.SampleUserByKey("BOB")
	if err := e.ldap.DeleteEntry(bob.DN); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ldap.AddUser(slapdtest.NewUser{UID: "bob", Password: "bob-pass-2", Mail: bob.Mail}); err != nil {
		t.Fatal(err)
	}
	for api, oldKey := range bobKeys {
		r, rec := e.record(func() reply { return e.as(api, "bob", "bob-pass-2") })
		checkGranted(t, r, "bob@example.org")
		if rec.KeyID == oldKey {
			t.Errorf("%s: the new entry for bob@example.org got the old entry's session key %s", api, oldKey)
		}
		for _, key := range []string{oldKey, rec.KeyID} {
			s, ok := e.host.Sessions().Get(key)
			if !ok || s.MetaData["ldap_username"] != "bob@example.org" || s.MetaData["ldap_dn"] != bob.DN {
				t.Errorf("%s: stored session %s: %+v, want bob@example.org at %s", api, key, s, bob.DN)
			}
		}
	}
	if len(bobKeys) != 2 {
		t.Errorf("bob logged in on %d APIs, want 2", len(bobKeys))
	}
}

// TestMultiValuedUsername: an entry with two values of the username
// attribute (uid: erin and uid: erin-admin) cannot be identified: which
// value is "the user" would be whichever the server lists first. Logging in
// under either name is refused with 500 and the log says the attribute
// must have exactly one value.
func TestMultiValuedUsername(t *testing.T) {
	e := newEnv(t)
	dn, err := e.ldap.AddUser(slapdtest.NewUser{UID: "erin", Password: "erin-pass-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ldap.ApplyLDIF("dn: " + dn + "\nchangetype: modify\nadd: uid\nuid: erin-admin\n"); err != nil {
		t.Fatal(err)
	}
	mark := gatewayLog.mark()
	e.load(
		e.api(classic, "multi-uid-direct", e.direct()),
		e.api(tykOAS, "multi-uid-search", e.search()),
	)
	for _, tc := range []struct{ api, user string }{
		{"multi-uid-direct", "erin"},
		{"multi-uid-search", "erin"},
		{"multi-uid-search", "erin-admin"},
	} {
		t.Run(tc.api+"/"+tc.user, func(t *testing.T) {
			r, rec := e.record(func() reply { return e.as(tc.api, tc.user, "erin-pass-1") })
			checkDenial(t, r, http.StatusInternalServerError, msgMisconfigured, "")
			if rec.KeyID != "" {
				t.Errorf("refused, yet a session: %+v", rec)
			}
			if lines := logLines(gatewayLog.since(mark), "api_id="+tc.api+" ", "level=error", "exactly one value"); len(lines) == 0 {
				t.Error(`no error line says the username attribute must have "exactly one value"`)
			}
		})
	}
	// The API itself is fine: single-valued users get in.
	checkGranted(t, e.as("multi-uid-search", "carol", "carol-pass-1"), "carol")
}
