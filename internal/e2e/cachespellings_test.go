package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/e2e/e2etest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// spellingsOf returns n distinct spellings of name that a directory folds
// into name: every mix of upper and lower case, with up to three spaces
// before and after.
func spellingsOf(name string, n int) []string {
	var out []string
	for pad := 0; pad < 16 && len(out) < n; pad++ {
		lead, trail := strings.Repeat(" ", pad/4), strings.Repeat(" ", pad%4)
		for mask := 0; mask < 1<<len(name) && len(out) < n; mask++ {
			b := []byte(name)
			for i := range b {
				if mask&(1<<i) != 0 {
					b[i] = b[i] - 'a' + 'A'
				}
			}
			out = append(out, lead+string(b)+trail)
		}
	}
	return out
}

// TestPositiveCacheSpellings: one account logging in under 200 spellings
// (case and outer spaces) on an API with cache_max_entries 20 must not fill
// the decision cache: afterwards another user's success is still cached,
// so their second request causes no bind.
func TestPositiveCacheSpellings(t *testing.T) {
	e := newEnv(t)
	const api = "cache-spellings"
	e.load(e.api(classic, api, e.direct("cache_max_entries", 20)))
	alice, _ := slapdtest.SampleUserByKey("ALICE")
	bob, _ := slapdtest.SampleUserByKey("BOB")

	spellings := spellingsOf("alice", 200)
	if len(spellings) != 200 {
		t.Fatalf("%d spellings, want 200", len(spellings))
	}
	// Eight at a time: concurrent fills of the cache are what a login
	// storm looks like.
	for i := 0; i < len(spellings); i += 8 {
		var reqs []e2etest.Request
		for _, s := range spellings[i:min(i+8, len(spellings))] {
			reqs = append(reqs, e2etest.Request{Path: "/" + api + "/", Header: http.Header{"Authorization": {basic(s, alice.Password)}}})
		}
		for j, r := range e.burst(reqs) {
			checkGranted(t, r, "alice")
			if t.Failed() {
				t.Fatalf("spelling %q failed", spellings[i+j])
			}
		}
	}

	for _, round := range []struct {
		name  string
		binds int
	}{{"first", 1}, {"second", 0}, {"third", 0}} {
		c := e.counts()
		checkGranted(t, e.as(api, "bob", bob.Password), "bob")
		if n := bindsTo(e.counts().Sub(c), bob.DN); n != round.binds {
			t.Errorf("bob's %s request after 200 spellings of alice: %d binds, want %d", round.name, n, round.binds)
		}
	}
	// Alice is still cached too, under a spelling she just used.
	checkGranted(t, e.as(api, spellings[0], alice.Password), "alice")
	c := e.counts()
	checkGranted(t, e.as(api, spellings[0], alice.Password), "alice")
	if d := e.counts().Sub(c); d.Binds != 0 {
		t.Errorf("alice's spelling %q, just used, caused %d binds on its repeat, want 0 (cached)", spellings[0], d.Binds)
	}
}
