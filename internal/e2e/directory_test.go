package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// TestDirectoryEdgeCases runs the sample directory's awkward entries
// through the loaded plugin: an apostrophe in the uid, a comma in the RDN
// (groups found by DN), a colon and a space in the password, a uid that
// exists twice under the search base (refused, never guessed), and a
// one-level search that does not reach the people.
func TestDirectoryEdgeCases(t *testing.T) {
	e := newEnv(t)
	admins := []string{"admins"}
	e.load(
		e.api(classic, "edge-direct", e.direct()),
		e.api(tykOAS, "edge-search", e.search()),
		e.api(classic, "edge-whole-tree", e.search("search_base_dn", slapdtest.BaseDN)),
		e.api(classic, "edge-one-level", e.search("search_base_dn", slapdtest.BaseDN, "search_scope", "one")),
		e.api(tykOAS, "edge-admins-search", e.search("group_source", "search", "group_base_dn", slapdtest.GroupsDN, "required_groups", admins)),
		e.api(classic, "edge-admins-memberof", e.search("group_source", "memberof", "group_base_dn", slapdtest.GroupsDN, "required_groups", admins)),
	)
	cases := []struct {
		api, key string
		status   int
	}{
		{"edge-direct", "OBRIEN", 200},
		{"edge-search", "OBRIEN", 200},
		{"edge-direct", "DAVE", 200},
		{"edge-search", "DAVE", 200},
		{"edge-search", "JSMITH", 200},
		{"edge-direct", "JSMITH", 401}, // its RDN is cn, the template says uid
		{"edge-admins-search", "JSMITH", 200},
		{"edge-admins-memberof", "JSMITH", 200},
		{"edge-admins-search", "BOB", 200},
		{"edge-admins-memberof", "ALICE", 403},
		{"edge-whole-tree", "ALICE", 200},
		{"edge-whole-tree", "TWIN", 401},
		{"edge-whole-tree", "TWIN_CONTRACTOR", 401},
		{"edge-one-level", "ALICE", 401},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%s/%d", tc.api, tc.key, tc.status), func(t *testing.T) {
			u, _ := slapdtest.SampleUserByKey(tc.key)
			r := e.as(tc.api, u.UID, u.Password)
			switch tc.status {
			case 200:
				checkGranted(t, r, u.UID)
			case 403:
				checkDenial(t, r, 403, msgForbidden, "")
			default:
				checkDenial(t, r, 401, msgInvalid, challenge("Restricted"))
			}
		})
	}
}

// TestMembershipChange changes alice's groups in the directory while she
// uses the API: within cache_ttl nothing changes; after it, her new groups
// reach the upstream and the stored session (rewritten once, because its
// content changed), and losing the required group turns her away.
func TestMembershipChange(t *testing.T) {
	e := newEnv(t)
	const api, ttl = "membership", 300 * time.Millisecond
	e.load(e.api(classic, api, e.direct("group_source", "memberof", "group_base_dn", slapdtest.GroupsDN, "required_groups", []string{"developers"},
		"groups_header", "X-Authenticated-Groups", "cache_ttl", ttl.String())))
	alice, _ := slapdtest.SampleUserByKey("ALICE")

	groups := func(want string) string {
		t.Helper()
		r, rec := e.record(func() reply { return e.as(api, "alice", alice.Password) })
		checkGranted(t, r, "alice")
		if got := sortedList(r.seen.Header.Get("X-Authenticated-Groups")); got != want {
			t.Errorf("upstream groups %q, want %q", got, want)
		}
		return rec.KeyID
	}
	start := time.Now()
	key := groups("developers")
	if err := e.ldap.AddToGroup(slapdtest.AdminsDN, alice.DN); err != nil {
		t.Fatal(err)
	}
	// Still cached, unless this slow machine already used up much of
	// cache_ttl (then the answer may legitimately be either).
	if time.Since(start) < ttl/2 {
		groups("developers")
	}
	time.Sleep(ttl + 50*time.Millisecond)
	groups("admins,developers")
	if s, ok := e.host.Sessions().Get(key); !ok || sortedList(fmt.Sprint(s.MetaData["ldap_groups"])) != "admins,developers" {
		t.Errorf("stored session not updated: %+v", s)
	}
	if n := e.host.Sessions().WritesFor(key); n != 2 {
		t.Errorf("session written %d times, want 2 (once per distinct content)", n)
	}

	if err := e.ldap.RemoveFromGroup(slapdtest.DevelopersDN, alice.DN); err != nil {
		t.Fatal(err)
	}
	time.Sleep(ttl + 50*time.Millisecond)
	checkDenial(t, e.as(api, "alice", alice.Password), 403, msgForbidden, "")
}

// TestPasswordBytesPreserved sets unusual passwords in the directory and
// checks that the plugin hands the password over byte for byte: no
// trimming, no Unicode normalisation, colons kept, the longest accepted
// length works.
func TestPasswordBytesPreserved(t *testing.T) {
	e := newEnv(t)
	e.load(e.api(classic, "pw-direct", e.direct()), e.api(tykOAS, "pw-search", e.search()))
	carol, _ := slapdtest.SampleUserByKey("CAROL")
	cases := []struct {
		name, set string
		tries     map[string]int // password sent -> status
	}{
		{"spaces and colon", "  sp ace: pass  ", map[string]int{"  sp ace: pass  ": 200, "sp ace: pass": 401, "  sp ace: pass": 401}},
		{"precomposed umlaut", "p\u00e4ss-wörd", map[string]int{"p\u00e4ss-wörd": 200, "pa\u0308ss-wörd": 401, "pass-word": 401}},
		{"decomposed umlaut", "pa\u0308ss", map[string]int{"pa\u0308ss": 200, "p\u00e4ss": 401}},
		{"CJK", "日本語パスワード", map[string]int{"日本語パスワード": 200, "日本語": 401}},
		{"1024 bytes", strings.Repeat("x", 1023) + "!", map[string]int{strings.Repeat("x", 1023) + "!": 200, strings.Repeat("x", 1023): 401}},
	}
	for _, tc := range cases {
		if err := e.ldap.SetPassword(carol.DN, tc.set); err != nil {
			t.Fatal(err)
		}
		for _, api := range []string{"pw-direct", "pw-search"} {
			for sent, status := range tc.tries {
				r := e.as(api, "carol", sent)
				if r.status != status {
					t.Errorf("%s/%s: sent %q: status %d, want %d", api, tc.name, sent, r.status, status)
				}
			}
		}
	}
}
