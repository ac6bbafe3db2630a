package e2e

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/e2e/e2etest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testserver"
)

// alicesNewPassword is set during TestFloodIsNotAnOutage (listed in
// addedPasswords, so it must never be logged).
const alicesNewPassword = "alice-pass-after-flood"

// TestFloodIsNotAnOutage floods an API whose healthy directory answers in
// 30 ms (slapd behind a proxy adding 15 ms each way) through two pooled
// connections, with stale_if_error on. The gateway's own queueing must not
// pass for a directory outage: no server is marked down, nothing is served
// stale, so a password changed in the directory during the flood is never
// granted; every 503 is the saturated pool's (with Retry-After); and a
// valid user gets in right after the flood.
func TestFloodIsNotAnOutage(t *testing.T) {
	e := newEnv(t)
	proxy := testserver.StartProxyT(t, e.ldap.Addr())
	proxy.SetLatency(15 * time.Millisecond)
	const api, ttl = "flood", 200 * time.Millisecond
	e.load(e.api(classic, api, e.direct("urls", "ldap://"+proxy.Addr(), "pool_size", 2,
		"cache_ttl", ttl.String(), "stale_if_error", "1h", "dial_timeout", "1s", "request_timeout", "1s")))
	alice, _ := slapdtest.SampleUserByKey("ALICE")
	bob, _ := slapdtest.SampleUserByKey("BOB")
	mark := gatewayLog.mark()

	checkGranted(t, e.as(api, "alice", alice.Password), "alice") // cached, a candidate for stale_if_error
	granted := time.Now()
	if err := e.ldap.SetPassword(alice.DN, alicesNewPassword); err != nil {
		t.Fatal(err)
	}

	// The flood: cold checks of names nobody has, from 128 clients at once
	// (a wrong password costs one 30 ms bind on one of two connections, so
	// the last of 128 queued checks waits about 2 s, longer than the 1 s of
	// request_timeout a check needs left to start a bind; the timeouts are
	// long enough that a starved machine never runs a single bind out of
	// its whole allowance).
	type tally struct {
		statuses     map[int]int
		noRetryAfter int
	}
	var mu sync.Mutex
	flood := tally{statuses: map[int]int{}}
	clients := e2etest.StartWorkers(128, func(w, i int) bool {
		r, err := e.doE("/"+api+"/", authHeader(fmt.Sprintf("flood-%d-%d", w, i), fmt.Sprintf("flood-pw-%d", i)))
		if err != nil {
			return true
		}
		mu.Lock()
		flood.statuses[r.status]++
		if r.status == 503 && r.header.Get("Retry-After") == "" {
			flood.noRetryAfter++
		}
		mu.Unlock()
		return true
	})
	defer clients.Stop()
	saturated := func() bool { mu.Lock(); defer mu.Unlock(); return flood.statuses[503] > 0 }
	deadline := time.Now().Add(20 * time.Second)
	for !saturated() {
		if time.Now().After(deadline) {
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("the flood never saturated the pool: %v", flood.statuses)
		}
		time.Sleep(10 * time.Millisecond) // polling the tally
	}
	// alice's cached grant must have expired: from now on only the
	// directory, or stale_if_error, could grant her old password.
	if wait := ttl - time.Since(granted); wait > 0 {
		time.Sleep(wait)
	}
	// 40 tries of the old password at once, as a holder of it would send
	// them while the flood lasts.
	old := map[int]int{}
	var tries sync.WaitGroup
	for range 40 {
		tries.Add(1)
		go func() {
			defer tries.Done()
			r, err := e.doE("/"+api+"/", authHeader("alice", alice.Password))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("alice's request: %v", err)
				return
			}
			old[r.status]++
			if r.status == 503 && r.header.Get("Retry-After") == "" {
				t.Error("a 503 without Retry-After: the gateway answered as if the directory were down")
			}
		}()
	}
	tries.Wait()
	clients.Stop()

	t.Logf("flood: %v (%d 503 without Retry-After); alice's old password during the flood: %v", flood.statuses, flood.noRetryAfter, old)
	if old[200] > 0 {
		t.Errorf("the changed password was granted %d times during the flood", old[200])
	}
	if flood.noRetryAfter > 0 {
		t.Errorf("%d flood answers were 503 without Retry-After (directory unavailable)", flood.noRetryAfter)
	}
	if flood.statuses[401] == 0 {
		t.Error("no flood request reached the directory")
	}
	// Right after the flood: no backoff, no failover, the directory decides.
	checkGranted(t, e.as(api, "bob", bob.Password), "bob")
	checkGranted(t, e.as(api, "alice", alicesNewPassword), "alice")
	checkDenial(t, e.as(api, "alice", alice.Password), 401, msgInvalid, challenge("Restricted"))

	logged := gatewayLog.since(mark)
	for _, bad := range []string{"directory server unavailable", "stale_if_error", "failing over"} {
		if lines := logLines(logged, "api_id="+api+" ", bad); len(lines) > 0 {
			t.Errorf("%d log lines say %q, first: %s", len(lines), bad, lines[0])
		}
	}
}

func authHeader(user, pass string) http.Header {
	return http.Header{"Authorization": {basic(user, pass)}}
}
