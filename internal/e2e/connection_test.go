package e2e

import (
	"net/http"
	"slices"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// TestConnectionHeaderKeepsIdentity: a proxy deletes every header the
// request's Connection header lists (hop-by-hop headers, RFC 9110 7.6.1),
// so a client sending "Connection: X-Authenticated-User" could make the
// identity header the plugin sets vanish before the upstream, which would
// then treat the request as anonymous or fall back to a header of its own.
// The identity headers must reach the upstream exactly as the plugin set
// them, cold and cached, whatever Connection lists.
func TestConnectionHeaderKeepsIdentity(t *testing.T) {
	e := newEnv(t)
	const api = "connection-identity"
	e.load(e.api(classic, api, e.direct("group_source", "memberof", "group_base_dn", slapdtest.GroupsDN,
		"groups_header", "X-Authenticated-Groups")))
	cases := []struct {
		name       string
		connection []string // Connection header lines the client sends
	}{
		{"the user header", []string{"X-Authenticated-User"}},
		{"lower case, with keep-alive", []string{"x-authenticated-user, keep-alive"}},
		{"both identity headers", []string{"X-Authenticated-Groups,X-Authenticated-User"}},
		// Tyk deletes the names of the first Connection line only, Go's
		// ReverseProxy those of every line: each identity header is in one.
		{"two Connection lines", []string{"X-Authenticated-Groups", "X-AUTHENTICATED-USER"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, round := range []string{"cold", "cached"} {
				r := e.do("/"+api+"/", http.Header{
					"Authorization":        {basic("alice", "alice-pass-1")},
					"Connection":           tc.connection,
					"X-Authenticated-User": {"admin"},
				})
				checkGranted(t, r, "alice")
				if got := r.seen.Header.Values("X-Authenticated-Groups"); !slices.Equal(got, []string{"developers"}) {
					t.Errorf("%s: upstream groups %q, want [developers]", round, got)
				}
			}
		})
	}
}

// TestConnectionTokensAfterPlugin looks at the request the plugin hands on
// (calling the loaded LDAPAuth directly): the identity header names are
// gone from Connection, the client's other tokens are kept for the
// gateway's own hop-by-hop handling, and a Connection header that listed
// nothing else is removed.
func TestConnectionTokensAfterPlugin(t *testing.T) {
	e := newEnv(t)
	apis := e.api(classic, "connection-tokens", e.direct())
	e.load(apis)
	auth := e.authSymbol()
	for _, tc := range []struct {
		sent []string
		want []string // nil: no Connection header
	}{
		{[]string{"X-Authenticated-User"}, nil},
		{[]string{"x-authenticated-user, keep-alive"}, []string{"keep-alive"}},
		{[]string{"keep-alive", "X_Authenticated_User, Upgrade"}, []string{"keep-alive", "Upgrade"}},
		{[]string{"Authorization"}, nil},
	} {
		c := callWithDefinition(auth, apis.Classic[0], http.Header{"Authorization": {basic("alice", "alice-pass-1")}, "Connection": tc.sent})
		if c.w.status != 0 || c.session == nil {
			t.Fatalf("Connection %q: status %d %q, want granted", tc.sent, c.w.status, c.w.body.String())
		}
		if got := c.req.Header["Connection"]; !slices.Equal(got, tc.want) {
			t.Errorf("Connection %q: handed on as %q, want %q", tc.sent, got, tc.want)
		}
		if got := c.req.Header.Values("X-Authenticated-User"); !slices.Equal(got, []string{"alice"}) {
			t.Errorf("Connection %q: X-Authenticated-User %q, want [alice]", tc.sent, got)
		}
	}
}
