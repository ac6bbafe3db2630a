package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/e2e/e2etest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testserver"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
)

// revocationLimit is how long a cached decision may outlive the
// directory's change.
const revocationLimit = 2 * time.Second

const watchPassword = "watch-pass-1"

// Instant revocation through the loaded plugin, with cache_ttl 1h: a
// password change, a lock, a delete and a removal from the required group
// each turn the cached 200 into 401 or 403 within two seconds, for direct
// bind and search then bind, against slapd with syncprov (pushed changes)
// and without it (polling). An API with revocation_watch "off" keeps
// answering 200 from its cache, which shows the cache was in play. The
// watch survives a slapd restart and a cut connection, and a change made
// while it was cut is not missed.
func TestRevocation(t *testing.T) {
	for _, tc := range []struct {
		name      string
		opts      []slapdtest.Option
		mechanism string
	}{
		{"syncprov", []slapdtest.Option{slapdtest.WithSyncProv()}, "syncrepl"},
		{"polling", nil, "poll-modifyTimestamp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := slapdtest.StartT(t, append(tc.opts, slapdtest.WithPasswordPolicy(slapdtest.PasswordPolicy{MaxFailure: 100}))...)
			g := e2etest.NewGateway(t, "../../plugin", tykhost.Options{})
			e := &env{t: t, ldap: srv, so: g.Plugin, host: g.Host, srv: g.Server, up: &upstream{g.Upstream}}
			proxy, err := testserver.StartProxy("127.0.0.1:0", srv.Addr())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = proxy.Close() })
			common := []interface{}{
				"urls", "ldap://" + proxy.Addr(), "bind_dn", slapdtest.ServiceAccountDN, "bind_password", slapdtest.ServiceAccountPassword,
				"group_source", "search", "group_base_dn", slapdtest.GroupsDN, "required_groups", []string{"developers"},
				"cache_ttl", "1h", "revocation_poll_interval", "250ms",
			}
			mark := gatewayLog.mark()
			e.load(
				e.api(classic, "rv-direct", e.direct(common...)),
				e.api(classic, "rv-search", e.search(common...)),
				e.api(classic, "rv-off", e.direct(append(common, "revocation_watch", "off")...)),
			)
			watched := []string{"rv-direct", "rv-search"}
			// A gate, and so its watch, is built on the API's first request.
			warmUser := slapdtest.SampleUsers()[1]
			warm(t, e, append(watched, "rv-off"), warmUser.UID, warmUser.Password)
			waitLog(t, mark, "directory watch started", "mechanism="+tc.mechanism)

			for _, sc := range []struct {
				name   string
				status []int // any of these: a lock may be answered 429 once the gateway has seen it
				change func(dn string) error
			}{
				{"password change", []int{http.StatusUnauthorized}, func(dn string) error { return srv.SetPassword(dn, "watch-changed-1") }},
				{"account locked", []int{http.StatusUnauthorized, http.StatusTooManyRequests}, func(dn string) error {
					return modify(srv, dn, func(m *ldap.ModifyRequest) { m.Replace("pwdAccountLockedTime", []string{"000001010000Z"}) })
				}},
				{"deleted user", []int{http.StatusUnauthorized}, srv.DeleteEntry},
				{"removed from the required group", []int{http.StatusForbidden}, func(dn string) error {
					return srv.RemoveFromGroup(slapdtest.DevelopersDN, dn)
				}},
			} {
				t.Run(sc.name, func(t *testing.T) {
					user, dn := watchedUser(t, e, sc.name)
					for _, api := range append(watched, "rv-off") {
						if r := e.as(api, user, watchPassword); r.status != http.StatusOK {
							t.Fatalf("%s before the change: %d, want 200", api, r.status)
						}
					}
					if err := sc.change(dn); err != nil {
						t.Fatal(err)
					}
					expectRevoked(t, e, watched, user, sc.status, revocationLimit)
					if r := e.as("rv-off", user, watchPassword); r.status != http.StatusOK {
						t.Fatalf("unwatched API after the change: %d; its cached 200 should stand (is the cache in play?)", r.status)
					}
				})
			}

			t.Run("slapd restarted", func(t *testing.T) {
				user, dn := watchedUser(t, e, "restart")
				warm(t, e, watched, user, watchPassword)
				mark := gatewayLog.mark()
				if err := srv.Restart(); err != nil {
					t.Fatal(err)
				}
				waitLog(t, mark, "directory watch started")
				warm(t, e, watched, user, watchPassword)
				if err := srv.SetPassword(dn, "watch-changed-1"); err != nil {
					t.Fatal(err)
				}
				expectRevoked(t, e, watched, user, []int{http.StatusUnauthorized}, revocationLimit)
			})

			t.Run("change while the connection was cut", func(t *testing.T) {
				user, dn := watchedUser(t, e, "cut")
				warm(t, e, watched, user, watchPassword)
				mark := gatewayLog.mark()
				proxy.Cut()
				waitLog(t, mark, "directory watch lost")
				if err := srv.SetPassword(dn, "watch-changed-1"); err != nil {
					t.Fatal(err)
				}
				mark = gatewayLog.mark()
				proxy.Restore()
				waitLog(t, mark, "directory watch started")
				expectRevoked(t, e, watched, user, []int{http.StatusUnauthorized}, revocationLimit)
			})
		})
	}
}

// watchedUser adds a developer with watchPassword.
func watchedUser(t *testing.T, e *env, scenario string) (user, dn string) {
	t.Helper()
	user = "watched-" + strings.ReplaceAll(scenario, " ", "-")
	dn, err := e.ldap.AddUser(slapdtest.NewUser{UID: user, Password: watchPassword})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ldap.AddToGroup(slapdtest.DevelopersDN, dn); err != nil {
		t.Fatal(err)
	}
	return user, dn
}

func warm(t *testing.T, e *env, apis []string, user, password string) {
	t.Helper()
	for _, api := range apis {
		if r := e.as(api, user, password); r.status != http.StatusOK {
			t.Fatalf("%s: %d, want 200", api, r.status)
		}
	}
}

// expectRevoked polls every API with the old credentials until each
// answers status, failing if any takes longer than limit.
func expectRevoked(t *testing.T, e *env, apis []string, user string, status []int, limit time.Duration) {
	t.Helper()
	start := time.Now()
	for _, api := range apis {
		for {
			r := e.as(api, user, watchPassword)
			if slices.Contains(status, r.status) {
				break
			}
			if time.Since(start) > limit {
				t.Fatalf("%s still answered %d after %v, want one of %v", api, r.status, limit, status)
			}
			time.Sleep(20 * time.Millisecond) // polling for the outcome
		}
	}
	t.Logf("revoked within %v", time.Since(start).Round(time.Millisecond))
}

// waitLog waits for a gateway log line with every part, after mark.
func waitLog(t *testing.T, mark int, parts ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for len(logLines(gatewayLog.since(mark), parts...)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q:\n%s", parts, gatewayLog.since(mark))
		}
		time.Sleep(20 * time.Millisecond) // polling the log
	}
}

func modify(srv *slapdtest.Server, dn string, fn func(*ldap.ModifyRequest)) error {
	c, err := srv.AdminConn()
	if err != nil {
		return err
	}
	defer c.Close()
	m := ldap.NewModifyRequest(dn, nil)
	fn(m)
	return c.Modify(m)
}
