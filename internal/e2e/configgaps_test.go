package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
)

// TestConfigGaps: configurations that look almost right are refused with
// 500 and one error line naming the key, never served in a weaker form:
// a bind_dn with an empty bind_password (an anonymous bind in disguise)
// and directory URLs carrying a password in their userinfo, which must not
// appear in the log either.
func TestConfigGaps(t *testing.T) {
	e := newEnv(t)
	const urlSecret = "Userinfo-Secret-e2e-9"
	mark := gatewayLog.mark()
	cases := []struct {
		api string
		cfg map[string]interface{}
		key string
	}{
		{"gap-empty-bind-password", e.search("bind_password", ""), "bind_password"},
		{"gap-url-userinfo", e.direct("urls", "ldap://reader:"+urlSecret+"@"+e.ldap.Addr()), "urls"},
		{"gap-url-userinfo-second", e.direct("urls", []string{e.ldap.URL(), "ldaps://cn=admin:" + urlSecret + "@" + e.ldap.LDAPSAddr()}), "urls"},
	}
	var all []tykhost.APIs
	for _, tc := range cases {
		all = append(all, e.api(classic, tc.api, tc.cfg))
	}
	e.load(all...)
	for _, tc := range cases {
		t.Run(tc.api, func(t *testing.T) {
			c := e.counts()
			for range 2 {
				checkDenial(t, e.as(tc.api, "alice", "alice-pass-1"), http.StatusInternalServerError, msgMisconfigured, "")
			}
			if d := e.counts().Sub(c); d.Binds != 0 || d.Connections != 0 {
				t.Errorf("a refused configuration reached the directory: %+v", d)
			}
			lines := logLines(gatewayLog.since(mark), "api_id="+tc.api+" ", "key="+tc.key+" ")
			if len(lines) != 1 || !strings.Contains(lines[0], "level=error") {
				t.Errorf("want one error line naming %s, got %q", tc.key, lines)
			}
		})
	}
	if logged := gatewayLog.since(mark); strings.Contains(logged, urlSecret) {
		t.Errorf("the log contains the password of a URL's userinfo:\n%s", strings.Join(logLines(logged, urlSecret), "\n"))
	}
}

// TestEmptyUserHeaderStillStrips: user_header "" sends no username
// upstream, but a client's X-Authenticated-User (or a spelling CGI-style
// upstreams read as the same variable) must still never reach it: the
// upstream may trust that header from a previous configuration.
func TestEmptyUserHeaderStillStrips(t *testing.T) {
	e := newEnv(t)
	var all []tykhost.APIs
	for _, f := range flavours {
		all = append(all, e.api(f, "no-user-header-"+string(f), e.direct("user_header", "")))
	}
	e.load(all...)
	for _, f := range flavours {
		t.Run(string(f), func(t *testing.T) {
			for _, round := range []string{"cold", "cached"} {
				r := e.do("/no-user-header-"+string(f)+"/", http.Header{
					"Authorization":        {basic("carol", "carol-pass-1")},
					"X-Authenticated-User": {"admin"},
					"X_authenticated_user": {"admin"},
				})
				if r.status != http.StatusOK || r.seen == nil {
					t.Fatalf("%s: status %d %q, want 200 from the upstream", round, r.status, r.body)
				}
				for name, v := range r.seen.Header {
					if strings.EqualFold(strings.ReplaceAll(name, "_", "-"), "X-Authenticated-User") {
						t.Errorf("%s: the upstream got %s %q from the client", round, name, v)
					}
				}
			}
		})
	}
}
