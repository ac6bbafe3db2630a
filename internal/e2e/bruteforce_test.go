package e2e

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// TestBruteForce checks max_failures through the loaded plugin, with direct
// bind (classic API) and search-then-bind (Tyk OAS API): three wrong
// passwords are 401s, then the user gets 429 with a Retry-After, even with
// the right password and under another spelling of the name, without any
// bind reaching the directory; other users are unaffected. The two APIs use
// the same directory (servers and user base), so a user locked through one
// is locked through the other.
func TestBruteForce(t *testing.T) {
	e := newEnv(t)
	limits := []interface{}{"max_failures", 3, "failure_window", "1m"}
	e.load(
		e.api(classic, "bf-direct", e.direct(limits...)),
		e.api(tykOAS, "bf-search", e.search(limits...)),
	)
	for _, tc := range []struct{ api, user, pass, other string }{
		{"bf-direct", "alice", "alice-pass-1", "bf-search"},
		{"bf-search", "carol", "carol-pass-1", "bf-direct"},
	} {
		t.Run(tc.api, func(t *testing.T) {
			api := tc.api
			for i := 1; i <= 3; i++ {
				checkDenial(t, e.as(api, tc.user, "wrong-pass-"+strconv.Itoa(i)), 401, msgInvalid, challenge("Restricted"))
			}
			upper := strings.ToUpper(tc.user)
			for _, spelling := range []string{tc.user, upper[:1] + tc.user[1:], " " + tc.user, upper + " "} {
				for _, pass := range []string{tc.pass, "wrong-pass-4"} {
					before := e.counts()
					r := e.as(api, spelling, pass)
					d := e.counts().Sub(before)
					checkDenial(t, r, http.StatusTooManyRequests, msgThrottled, "")
					secs, err := strconv.Atoi(r.header.Get("Retry-After"))
					if err != nil || secs <= 0 || secs > 60 {
						t.Errorf("%q: Retry-After %q, want 1..60 seconds", spelling, r.header.Get("Retry-After"))
					}
					if d.Binds != 0 {
						t.Errorf("%q/%s: a locked-out user caused %d binds: %v", spelling, pass, d.Binds, d.BindsByDN)
					}
				}
			}
			// The same account is locked on the other API of this directory.
			checkDenial(t, e.as(tc.other, tc.user, tc.pass), http.StatusTooManyRequests, msgThrottled, "")
			// Another user is unaffected, and so are their failures.
			checkGranted(t, e.as(api, "bob", "bob-pass-1"), "bob")
			checkDenial(t, e.as(api, "bob", "wrong-pass"), 401, msgInvalid, challenge("Restricted"))
			checkGranted(t, e.as(api, "bob", "bob-pass-1"), "bob")
		})
	}
}

// TestBruteForceLookalikeSpelling: slapd compares names after Unicode
// compatibility folding (LDAPprep), so "ａlice" (fullwidth a) would bind as
// alice. Once alice is locked out, no such spelling may reach the directory;
// otherwise every look-alike spelling buys max_failures more guesses. The
// plugin refuses these spellings outright (401, malformed, no traffic), and
// a lockout answer (429) would do as well; a bind would not.
func TestBruteForceLookalikeSpelling(t *testing.T) {
	e := newEnv(t)
	limits := []interface{}{"max_failures", 3, "failure_window", "1m"}
	e.load(
		e.api(classic, "bfl-direct", e.direct(limits...)),
		e.api(classic, "bfl-search", e.search(limits...)),
	)
	for _, tc := range []struct{ api, user, pass string }{
		{"bfl-direct", "alice", "alice-pass-1"},
		{"bfl-search", "carol", "carol-pass-1"},
	} {
		t.Run(tc.api, func(t *testing.T) {
			api := tc.api
			for i := 1; i <= 3; i++ {
				checkDenial(t, e.as(api, tc.user, "wrong-pass-"+strconv.Itoa(i)), 401, msgInvalid, challenge("Restricted"))
			}
			for _, spelling := range lookalikes(tc.user) {
				for _, pass := range []string{"wrong-pass-4", tc.pass} {
					before := e.counts()
					r := e.as(api, spelling, pass)
					d := e.counts().Sub(before)
					refused := r.status == http.StatusTooManyRequests || r.status == http.StatusUnauthorized
					if userBinds := d.Binds - d.BindsByDN[slapdtest.ServiceAccountDN]; !refused || userBinds != 0 {
						t.Errorf("%q/%s while %s is locked out: status %d, binds %v; want 429 or 401 and no user bind",
							spelling, pass, tc.user, r.status, d.BindsByDN)
					}
				}
			}
		})
	}
}

// lookalikes spells user in fullwidth letters (U+FF41 is "a"), wholly and
// partly, which LDAPprep folds back into the plain spelling.
func lookalikes(user string) []string {
	full := func(s string) string {
		return strings.Map(func(r rune) rune {
			switch {
			case 'a' <= r && r <= 'z':
				return 0xFF41 + r - 'a'
			case 'A' <= r && r <= 'Z':
				return 0xFF21 + r - 'A'
			}
			return r
		}, s)
	}
	return []string{full(user[:1]) + user[1:], full(user), full(strings.ToUpper(user[:1])) + full(user[1:])}
}
