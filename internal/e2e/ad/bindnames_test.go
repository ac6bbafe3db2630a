package ad

import (
	"fmt"
	"net/http"
	"testing"

	ldap "github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/adtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/e2e/e2etest"
)

// TestBindNames backs the three ways to find an AD user
// (docs/active-directory.md: userPrincipalName, down-level name, search by
// sAMAccountName, also with the filter that leaves out computer accounts):
// each signs the sample users in as their canonical
// sAMAccountName whatever case they type, reads the entry that bound (its
// userPrincipalName reaches the upstream), and refuses wrong passwords and
// unknown users with a 401. jdoe, whose userPrincipalName (john.doe@...)
// differs from its sAMAccountName, is one user under every name AD accepts
// for it: same canonical name, same entry, same Tyk session.
func TestBindNames(t *testing.T) {
	e := newEnv(t)
	upnHeader := []any{"attribute_headers", map[string]string{"userPrincipalName": "X-User-Principal-Name"}}
	e.Load(
		e.API(e2etest.Classic, "ad-upn", e.upn(upnHeader...)),
		e.API(e2etest.OAS, "ad-downlevel", e.downLevel(upnHeader...)),
		e.API(e2etest.Classic, "ad-search", e.search(upnHeader...)),
		e.API(e2etest.Classic, "ad-search-person", e.search(append(upnHeader, "search_filter", personFilter)...)),
	)
	alice, bob, jdoe, pat := sampleUser(t, adtest.KeyAlice), sampleUser(t, adtest.KeyBob), sampleUser(t, adtest.KeyJDoe), sampleUser(t, adtest.KeyPat)

	type signIn struct {
		typed string
		user  adtest.SampleUser
	}
	cases := []struct {
		api     string
		granted []signIn
		refused []string // typed names AD does not accept with the right password
	}{
		{"ad-upn", []signIn{
			{"alice", alice}, {"ALICE", alice}, {"Alice", alice}, {"bob", bob}, {"pat", pat},
			// john.doe@corp.example.org is jdoe's userPrincipalName;
			// jdoe@corp.example.org is its implicit one (sAMAccountName@domain).
			{"john.doe", jdoe}, {"jdoe", jdoe}, {"JDOE", jdoe},
		}, []string{"mallory"}},
		{"ad-downlevel", []signIn{
			{"alice", alice}, {"ALICE", alice}, {"bob", bob}, {"pat", pat}, {"jdoe", jdoe}, {"JDoe", jdoe},
		}, []string{"john.doe", "mallory"}}, // CORP\john.doe names no account
		{"ad-search", []signIn{
			{"alice", alice}, {"ALICE", alice}, {"bob", bob}, {"pat", pat}, {"jdoe", jdoe},
		}, []string{"john.doe", "mallory"}},
		{"ad-search-person", []signIn{
			{"alice", alice}, {"ALICE", alice}, {"pat", pat}, {"jdoe", jdoe},
		}, []string{"john.doe", "mallory"}},
	}
	for _, tc := range cases {
		t.Run(tc.api, func(t *testing.T) {
			e := e.sub(t)
			// One wrong password per spelling below counts in AD's
			// badPwdCount (a cold sign-in resets it, a cached one does not):
			// start each API from 0, and leave 0 behind.
			for _, u := range []adtest.SampleUser{alice, bob, jdoe, pat} {
				if err := e.dc.ResetLockoutState(u.SAMAccountName); err != nil {
					t.Fatal(err)
				}
				e.resetAfter(u.SAMAccountName)
			}
			keys := map[string]string{} // canonical user -> session KeyID
			for _, in := range tc.granted {
				for _, round := range []string{"cold", "cached"} {
					r, rec := e.Record(func() e2etest.Reply { return e.As(tc.api, in.typed, in.user.Password) })
					e2etest.CheckGranted(t, r, in.user.SAMAccountName)
					if got := r.Seen.Header.Values("X-User-Principal-Name"); len(got) != 1 || got[0] != in.user.UPN {
						t.Errorf("%q (%s): upstream userPrincipalName %q, want %s: the wrong entry was read", in.typed, round, got, in.user.UPN)
					}
					if rec.Alias != in.user.SAMAccountName {
						t.Errorf("%q (%s): analytics alias %q, want %s", in.typed, round, rec.Alias, in.user.SAMAccountName)
					}
					if want, seen := keys[in.user.SAMAccountName]; seen && rec.KeyID != want {
						t.Errorf("%q (%s): session %s, want %s like the other names of %s", in.typed, round, rec.KeyID, want, in.user.SAMAccountName)
					}
					keys[in.user.SAMAccountName] = rec.KeyID
				}
				e2etest.CheckDenial(t, e.As(tc.api, in.typed, wrongPassword), http.StatusUnauthorized, e2etest.MsgInvalid, e2etest.Challenge(realm))
			}
			for _, typed := range tc.refused {
				password := jdoe.Password
				if typed == "mallory" {
					password = alice.Password
				}
				e2etest.CheckDenial(t, e.As(tc.api, typed, password), http.StatusUnauthorized, e2etest.MsgInvalid, e2etest.Challenge(realm))
			}
		})
	}
}

// TestSearchFromDomainRootMeetsReferences proves the search-then-bind case
// of TestBindNames runs into what makes AD searches special: a subtree
// search for a sAMAccountName from the domain root returns the entry plus
// continuation references to the other naming contexts. The plugin must not
// follow them or count them as entries (exactly one entry must match).
func TestSearchFromDomainRootMeetsReferences(t *testing.T) {
	e := newEnv(t)
	conn := e.serviceConn()
	defer conn.Close()
	alice := sampleUser(t, adtest.KeyAlice)
	res, err := conn.Search(ldap.NewSearchRequest(adtest.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 2, 0, false,
		fmt.Sprintf("(sAMAccountName=%s)", alice.SAMAccountName), []string{"1.1"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 1 || len(res.Referrals) == 0 {
		t.Fatalf("%d entries and references %q: want alice's entry and at least one continuation reference", len(res.Entries), res.Referrals)
	}
	e.Load(e.API(e2etest.Classic, "ad-search-root", e.search()))
	e2etest.CheckGranted(t, e.As("ad-search-root", alice.SAMAccountName, alice.Password), alice.SAMAccountName)
}
