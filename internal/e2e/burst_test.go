package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/e2e/e2etest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
)

// burst sends every request at the same moment; replies come back in
// request order (see e2etest.Gateway.Burst).
func (e *env) burst(reqs []e2etest.Request) []reply {
	e.t.Helper()
	var replies []reply
	for _, r := range e.gateway().Burst(reqs) {
		replies = append(replies, replyFrom(r))
	}
	return replies
}

// wrongPasswordBurst is n requests to api for the spellings in turn, each
// with its own wrong password (so no two can share a cache entry or an
// in-flight check).
func wrongPasswordBurst(api string, spellings []string, n int) []e2etest.Request {
	reqs := make([]e2etest.Request, n)
	for i := range reqs {
		reqs[i] = e2etest.Request{
			Path:   fmt.Sprintf("/%s/burst/%d", api, i),
			Header: http.Header{"Authorization": {basic(spellings[i%len(spellings)], fmt.Sprintf("wrong-burst-%03d", i))}},
		}
	}
	return reqs
}

// bindsTo counts the binds in d that named dn, however the client spelled
// the DN (slapd logs it as sent: "uid=\20alice,..." for " alice").
func bindsTo(d slapdtest.Counts, dn string) int {
	want := directory.NormalizeDN(dn)
	n := 0
	for got, count := range d.BindsByDN {
		if directory.NormalizeDN(got) == want {
			n += count
		}
	}
	return n
}

// burstVerdict tallies a wrong-password burst: every reply must be the
// plugin's 401 (a bind was made and refused) or its 429 with a Retry-After
// of 1 to maxRetry seconds (refused before any bind).
func burstVerdict(t *testing.T, replies []reply, realm string, maxRetry time.Duration) (unauthorized, throttled int) {
	t.Helper()
	for i, r := range replies {
		switch r.status {
		case http.StatusUnauthorized:
			unauthorized++
			checkDenial(t, r, http.StatusUnauthorized, msgInvalid, challenge(realm))
		case http.StatusTooManyRequests:
			throttled++
			checkDenial(t, r, http.StatusTooManyRequests, msgThrottled, "")
			checkRetryAfter(t, r, maxRetry)
		default:
			t.Errorf("burst request %d: status %d (%q), want 401 or 429", i, r.status, r.body)
		}
	}
	return unauthorized, throttled
}
