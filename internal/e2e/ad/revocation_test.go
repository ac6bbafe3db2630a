package ad

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/adtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/e2e/e2etest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testserver"
)

const (
	watchPassword    = "Watch-Pass-1"
	changedPassword  = "Watch-Changed-1"
	changedPassword2 = "Watch-Changed-2"
)

// TestRevocation is instant revocation against the real Samba AD DC,
// through the loaded plugin, with cache_ttl 1h: the watch polls uSNChanged
// (see TestSambaWatchMechanisms), and a password
// change, a disabled account, a deleted user and a removal from the
// required group each turn the cached 200 into 401 or 403 within two
// seconds, for direct bind (userPrincipalName, resolved by the service
// account) and search then bind. An API with revocation_watch "off" keeps
// its cached 200. A change made while the watch's connection was cut is
// not missed.
func TestRevocation(t *testing.T) {
	e := newEnv(t)
	e.ensureServiceAccount()
	dcURL, err := url.Parse(e.dc.LDAPSURL())
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := testserver.StartProxy("127.0.0.1:0", dcURL.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = proxy.Close() })
	group, err := e.dc.AddGroup("watched-group", adtest.GroupsDN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.dc.DeleteEntry(group) })
	common := []any{
		"urls", []string{"ldaps://" + proxy.Addr()},
		"group_source", "search", "group_base_dn", adtest.GroupsDN, "required_groups", []string{group},
		"cache_ttl", "1h", "revocation_poll_interval", "250ms",
	}
	e.Load(
		e.API(e2etest.Classic, "rv-upn", e.upnWithService(common...)),
		e.API(e2etest.Classic, "rv-search", e.search(common...)),
		e.API(e2etest.Classic, "rv-off", e.upnWithService(append(common, "revocation_watch", "off")...)),
	)
	watched := []string{"rv-upn", "rv-search"}
	mark := e2etest.GatewayLog.Mark()
	alice := sampleUser(t, adtest.KeyAlice)
	for _, api := range append(watched, "rv-off") {
		e.As(api, alice.SAMAccountName, alice.Password) // builds the gate, and so the watch
	}
	waitLog(t, mark, "directory watch started", "mechanism=poll-uSNChanged")

	n := 0
	newUser := func(t *testing.T) (sam, dn string) {
		t.Helper()
		n++
		sam = "watched-" + string(rune('a'+n))
		dn, err := e.dc.AddUser(adtest.NewUser{SAMAccountName: sam, Password: watchPassword, Groups: []string{group}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.dc.DeleteEntry(dn) })
		return sam, dn
	}
	for _, sc := range []struct {
		name   string
		status []int
		change func(sam, dn string) error
	}{
		{"password change", []int{http.StatusUnauthorized}, func(sam, _ string) error { return changePassword(e, sam) }},
		{"account disabled", []int{http.StatusUnauthorized, http.StatusTooManyRequests}, func(sam, _ string) error { return e.dc.SetDisabled(sam, true) }},
		{"deleted user", []int{http.StatusUnauthorized}, func(_, dn string) error { return e.dc.DeleteEntry(dn) }},
		{"removed from the required group", []int{http.StatusForbidden}, func(_, dn string) error { return e.dc.RemoveFromGroup(group, dn) }},
	} {
		t.Run(sc.name, func(t *testing.T) {
			s := e.sub(t)
			sam, dn := newUser(t)
			for _, api := range append(watched, "rv-off") {
				if r := s.As(api, sam, watchPassword); r.Status != http.StatusOK {
					t.Fatalf("%s before the change: %d, want 200", api, r.Status)
				}
			}
			if err := sc.change(sam, dn); err != nil {
				t.Fatal(err)
			}
			expectRevoked(t, s, watched, sam, sc.status, 2*time.Second)
			if r := s.As("rv-off", sam, watchPassword); r.Status != http.StatusOK {
				t.Fatalf("unwatched API after the change: %d; its cached 200 should stand", r.Status)
			}
		})
	}

	t.Run("change while the connection was cut", func(t *testing.T) {
		s := e.sub(t)
		sam, _ := newUser(t)
		for _, api := range watched {
			if r := s.As(api, sam, watchPassword); r.Status != http.StatusOK {
				t.Fatalf("%s: %d, want 200", api, r.Status)
			}
		}
		mark := e2etest.GatewayLog.Mark()
		proxy.Cut()
		waitLog(t, mark, "directory watch lost")
		if err := changePassword(e, sam); err != nil {
			t.Fatal(err)
		}
		mark = e2etest.GatewayLog.Mark()
		proxy.Restore()
		waitLog(t, mark, "directory watch started")
		expectRevoked(t, s, watched, sam, []int{http.StatusUnauthorized}, 2*time.Second)
	})
}

// changePassword resets sam's password twice. Samba accepts the password
// an administrator's reset just replaced for "old password allowed period"
// (60 minutes by default), so after one reset the directory itself still
// says yes to the old password; after two it says no (see
// adtest.TestPasswordResetKeepsPreviousPasswordForAnHour).
func changePassword(e *env, sam string) error {
	if err := e.dc.SetPassword(sam, changedPassword); err != nil {
		return err
	}
	return e.dc.SetPassword(sam, changedPassword2)
}

// expectRevoked polls every API with the old credentials until each
// answers one of status, failing if any takes longer than limit.
func expectRevoked(t *testing.T, e *env, apis []string, user string, status []int, limit time.Duration) {
	t.Helper()
	start := time.Now()
	for _, api := range apis {
		for {
			r := e.As(api, user, watchPassword)
			if slices.Contains(status, r.Status) {
				break
			}
			if time.Since(start) > limit {
				t.Fatalf("%s still answered %d after %v, want one of %v", api, r.Status, limit, status)
			}
			time.Sleep(20 * time.Millisecond) // polling for the outcome
		}
	}
	t.Logf("revoked within %v", time.Since(start).Round(time.Millisecond))
}

// waitLog waits for a gateway log line with every part, after mark.
func waitLog(t *testing.T, mark int, parts ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(e2etest.LogLines(e2etest.GatewayLog.Since(mark), parts...)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q:\n%s", parts, e2etest.GatewayLog.Since(mark))
		}
		time.Sleep(20 * time.Millisecond) // polling the log
	}
}
