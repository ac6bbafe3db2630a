package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/e2e/e2etest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// aliceSpellings are spellings of alice that the directory folds into the
// same entry (uid matching ignores case and outer spaces).
var aliceSpellings = []string{"alice", "Alice", " alice", "ALICE "}

// burstSize is how many wrong passwords one burst sends at once.
const burstSize = 120

// TestBruteForceBurst sends 120 concurrent requests, each with its own
// wrong password, for one user under four spellings the directory folds,
// through the loaded plugin, with direct bind (classic API) and
// search-then-bind (Tyk OAS API), max_failures 3. slapd's own log must show
// at most 3 binds for alice's entry and exactly one 401 per bind; every
// other answer is a 429 with Retry-After. Then alice's right password gets
// 429 (under every spelling, with no bind) until failure_window has passed,
// and 200 after; another user is unaffected throughout.
//
// The two modes run in parallel, each with its own slapd and host (created
// one after the other: the host sets config.Global), so the test waits for
// one failure window, not two.
func TestBruteForceBurst(t *testing.T) {
	const window = 3 * time.Second
	for _, tc := range []struct {
		name    string
		flavour flavour
		config  func(e *env, pairs ...interface{}) map[string]interface{}
	}{
		{"direct-bind", classic, (*env).direct},
		{"search-then-bind", tykOAS, (*env).search},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			api := "burst-" + tc.name
			e.load(e.api(tc.flavour, api, tc.config(e, "max_failures", 3, "failure_window", window.String())))
			t.Parallel()
			alice, _ := slapdtest.SampleUserByKey("ALICE")

			before := e.counts()
			start := time.Now()
			replies := e.burst(wrongPasswordBurst(api, aliceSpellings, burstSize))
			took := time.Since(start)
			d := e.counts().Sub(before)
			if took >= window {
				// The lock lasts failure_window from the third failure; a
				// burst outlasting it may legitimately start a new window.
				t.Fatalf("the burst took %v, longer than failure_window %v: the machine is too slow for this test's bound", took, window)
			}
			unauthorized, throttled := burstVerdict(t, replies, "Restricted", window)
			aliceBinds := bindsTo(d, alice.DN)
			if others := d.Binds - aliceBinds - bindsTo(d, slapdtest.ServiceAccountDN); others != 0 {
				t.Errorf("binds for entries other than alice's: %v", d.BindsByDN)
			}
			if aliceBinds < 1 || aliceBinds > 3 {
				t.Errorf("slapd saw %d binds for %s during the burst, want 1..3 (max_failures): %v", aliceBinds, alice.DN, d.BindsByDN)
			}
			if unauthorized != aliceBinds {
				t.Errorf("%d answers were 401 but slapd saw %d binds for alice: want exactly one 401 per bind", unauthorized, aliceBinds)
			}
			t.Logf("burst of %d in %v: %d binds, %d x 401, %d x 429", burstSize, took.Round(time.Millisecond), aliceBinds, unauthorized, throttled)

			// Locked: the right password under any spelling is refused
			// before it reaches the directory.
			for _, spelling := range aliceSpellings {
				c := e.counts()
				r := e.as(api, spelling, alice.Password)
				checkDenial(t, r, http.StatusTooManyRequests, msgThrottled, "")
				checkRetryAfter(t, r, window)
				if n := bindsTo(e.counts().Sub(c), alice.DN); n != 0 {
					t.Errorf("%q with the right password while locked: %d binds for alice", spelling, n)
				}
			}

			// Another user keeps their own budget.
			checkGranted(t, e.as(api, "bob", "bob-pass-1"), "bob")
			checkDenial(t, e.as(api, "bob", "wrong-pass"), http.StatusUnauthorized, msgInvalid, challenge("Restricted"))
			checkGranted(t, e.as(api, "Bob", "bob-pass-1"), "bob")

			// Once the window has passed alice gets in again, and not before.
			c := e.counts()
			deadline := start.Add(window + 10*time.Second)
			for {
				r := e.as(api, "alice", alice.Password)
				if r.status == http.StatusOK {
					checkGranted(t, r, "alice")
					if early := start.Add(window).Sub(time.Now()); early > 0 {
						t.Errorf("alice was let in %v before failure_window (%v) had passed since the burst began", early, window)
					}
					break
				}
				checkDenial(t, r, http.StatusTooManyRequests, msgThrottled, "")
				if time.Now().After(deadline) {
					t.Fatalf("alice still locked %v after the burst began (failure_window %v)", time.Since(start), window)
				}
				time.Sleep(100 * time.Millisecond) // polling the lock's real expiry
			}
			if n := bindsTo(e.counts().Sub(c), alice.DN); n != 1 {
				t.Errorf("%d binds for alice while waiting for the window, want exactly 1 (the successful one)", n)
			}
		})
	}
}

// TestBruteForceBudgetScope: two APIs on the same directory (same URLs and
// user base, one binding directly, one searching) share one failure budget,
// so a burst split between them still lets at most max_failures binds
// through and locks the user on both; an API whose users live under a
// different base keeps its own budget.
func TestBruteForceBudgetScope(t *testing.T) {
	e := newEnv(t)
	limits := []interface{}{"max_failures", 3, "failure_window", "1m"}
	const direct, search, otherBase = "scope-direct", "scope-search", "scope-other-base"
	e.load(
		e.api(classic, direct, e.direct(limits...)),
		e.api(tykOAS, search, e.search(limits...)),
		e.api(classic, otherBase, e.search(append(limits, "search_base_dn", slapdtest.BaseDN)...)),
	)
	alice, _ := slapdtest.SampleUserByKey("ALICE")

	var reqs []e2etest.Request
	viaSearch := wrongPasswordBurst(search, aliceSpellings, burstSize/2)
	for i, rq := range wrongPasswordBurst(direct, aliceSpellings, burstSize/2) {
		reqs = append(reqs, rq, viaSearch[i])
	}
	before := e.counts()
	replies := e.burst(reqs)
	d := e.counts().Sub(before)
	unauthorized, _ := burstVerdict(t, replies, "Restricted", time.Minute)
	if n := bindsTo(d, alice.DN); n < 1 || n > 3 || n != unauthorized {
		t.Errorf("a burst split over two APIs of one directory: %d binds for alice and %d x 401, want the same number, 1..3", n, unauthorized)
	}

	for _, api := range []string{direct, search} {
		checkDenial(t, e.as(api, "alice", alice.Password), http.StatusTooManyRequests, msgThrottled, "")
	}
	// The other base is another directory scope: its budget is untouched.
	checkGranted(t, e.as(otherBase, "alice", alice.Password), "alice")
}
