package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
)

// burstRequest is one request of a burst.
type burstRequest struct {
	path   string
	header http.Header
}

// burst sends every request at the same moment: each goroutine waits for
// one shared start signal, so the requests reach the gateway together
// instead of in the order their goroutines were created. Replies come back
// in request order.
func (e *env) burst(reqs []burstRequest) []reply {
	e.t.Helper()
	replies := make([]reply, len(reqs))
	errs := make([]error, len(reqs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, rq := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			replies[i], errs[i] = e.doE(rq.path, rq.header)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			e.t.Fatalf("burst request %d (%s): %v", i, reqs[i].path, err)
		}
	}
	return replies
}

// wrongPasswordBurst is n requests to api for the spellings in turn, each
// with its own wrong password (so no two can share a cache entry or an
// in-flight check).
func wrongPasswordBurst(api string, spellings []string, n int) []burstRequest {
	reqs := make([]burstRequest, n)
	for i := range reqs {
		reqs[i] = burstRequest{
			path:   fmt.Sprintf("/%s/burst/%d", api, i),
			header: http.Header{"Authorization": {basic(spellings[i%len(spellings)], fmt.Sprintf("wrong-burst-%03d", i))}},
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

// checkRetryAfter asserts a Retry-After of whole seconds in 1..limit.
func checkRetryAfter(t *testing.T, r reply, limit time.Duration) {
	t.Helper()
	v := r.header.Values("Retry-After")
	secs, err := 0, error(nil)
	if len(v) == 1 {
		secs, err = strconv.Atoi(v[0])
	}
	if len(v) != 1 || err != nil || secs < 1 || time.Duration(secs)*time.Second > limit {
		t.Errorf("Retry-After %q on a %d, want one value of 1..%d seconds", v, r.status, int(limit/time.Second))
	}
}
