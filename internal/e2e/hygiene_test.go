package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
)

// TestUpstreamHygiene checks what reaches the upstream, on classic and Tyk
// OAS APIs, cold and cached: the plugin removes Authorization by default
// (the gateway's strip_auth_data is off here) and always replaces a
// client-sent identity header with the real user; with hide_credentials
// false the upstream does see Authorization unless the gateway strips it.
func TestUpstreamHygiene(t *testing.T) {
	e := newEnv(t)
	type variant struct {
		name     string
		cfg      map[string]interface{}
		opts     []apiOption
		header   string // identity header
		wantAuth bool   // upstream sees Authorization
	}
	variants := []variant{
		{"default", e.direct(), nil, "X-Authenticated-User", false},
		{"show", e.direct("hide_credentials", false), nil, "X-Authenticated-User", true},
		{"show-stripped", e.direct("hide_credentials", false), []apiOption{stripAuthData}, "X-Authenticated-User", false},
		{"custom-header", e.search("user_header", "X-Remote-User"), nil, "X-Remote-User", false},
	}
	id := func(f flavour, v variant) string { return "hyg-" + string(f) + "-" + v.name }
	var apis []tykhost.APIs
	for _, f := range flavours {
		for _, v := range variants {
			apis = append(apis, e.api(f, id(f, v), v.cfg, v.opts...))
		}
	}
	e.load(apis...)

	for _, f := range flavours {
		for _, v := range variants {
			t.Run(id(f, v), func(t *testing.T) {
				authz := basic("alice", "alice-pass-1")
				for _, round := range []string{"cold", "cached"} {
					h := http.Header{"Authorization": {authz}, v.header: {"admin", "root"}}
					r := e.do("/"+id(f, v)+"/", h)
					if r.status != 200 || r.seen == nil {
						t.Fatalf("%s: status %d %q", round, r.status, r.body)
					}
					if got := r.seen.Header.Values(v.header); len(got) != 1 || got[0] != "alice" {
						t.Errorf("%s: upstream saw %s %q, want exactly [alice]", round, v.header, got)
					}
					got := r.seen.Header.Values("Authorization")
					if v.wantAuth && (len(got) != 1 || got[0] != authz) {
						t.Errorf("%s: upstream saw Authorization %q, want the client's", round, got)
					}
					if !v.wantAuth && len(got) != 0 {
						t.Errorf("%s: upstream saw Authorization %q, want none", round, got)
					}
				}
				// A denied request never reaches the upstream, spoofed or not.
				hits := e.up.count()
				r := e.do("/"+id(f, v)+"/", http.Header{"Authorization": {basic("alice", "wrong-pass")}, v.header: {"alice"}})
				checkDenial(t, r, 401, msgInvalid, challenge("Restricted"))
				if e.up.count() != hits {
					t.Error("a denied request reached the upstream")
				}
			})
		}
	}
}

// TestIdentityHeaderUnderscoreSpoofing: CGI-style upstreams (PHP-FPM, WSGI,
// Rack, many frameworks) map both "X-Authenticated-User" and
// "X_Authenticated_User" to HTTP_X_AUTHENTICATED_USER, so a client-sent
// underscore (or mixed) spelling of an identity header can override or
// join the real one. The upstream must see no header that names an
// identity header under '_' <-> '-' folding, other than the plugin's own.
func TestIdentityHeaderUnderscoreSpoofing(t *testing.T) {
	e := newEnv(t)
	const api = "hyg-underscore"
	e.load(e.api(classic, api, e.direct("group_source", "memberof", "groups_header", "X-Authenticated-Groups",
		"attribute_headers", map[string]string{"mail": "X-Authenticated-Email"})))
	h := http.Header{
		"Authorization":          {basic("carol", "carol-pass-1")},
		"X_Authenticated_User":   {"admin"},
		"X-Authenticated_User":   {"admin"},
		"X_authenticated_groups": {"admins"},
		"X_Authenticated_Email":  {"root@evil.example"},
	}
	r := e.do("/"+api+"/", h)
	checkGranted(t, r, "carol")
	identity := map[string]bool{"x-authenticated-user": true, "x-authenticated-groups": true, "x-authenticated-email": true}
	for name, values := range r.seen.Header {
		folded := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
		if identity[folded] && name != http.CanonicalHeaderKey(folded) {
			t.Errorf("upstream received the client's %s: %q (folds to the identity header %s)", name, values, folded)
		}
	}
}
