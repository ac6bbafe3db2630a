package directory

import (
	"fmt"
	"testing"
	"unicode/utf8"

	ldap "github.com/go-ldap/ldap/v3"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/; go test runs them as
// regular tests. Fuzz longer with, e.g.:
//
//	go test -run '^$' -fuzz FuzzFilterEscaping -fuzztime 30s ./ldapauth/directory/
//
// The oracles are the reference readers in rfc4515_test.go and
// rfc4514_test.go, not go-ldap's parsers.

// FuzzFilterEscaping: whatever the username (or DN) a filter is built
// from, every filter the package sends reads back, by the RFC 4515
// reference reader, as exactly the intended assertions with exactly that
// value: no wildcard, no extra clause, no changed byte.
func FuzzFilterEscaping(f *testing.F) {
	userFilter := mustTemplate(f, defaultFilter, "username")
	groupFilter := mustTemplate(f, defaultGroupFilter, "dn", "username")
	upn := mustBindTemplate(f, "{username}@corp.example.org")
	f.Fuzz(func(t *testing.T, value string) {
		eq := func(attr string) filterNode { return filterNode{op: "eq", attr: attr, value: value} }
		or := func(children ...filterNode) filterNode { return filterNode{op: "or", children: children} }
		bindName := value + "@corp.example.org"
		cases := []struct {
			name   string
			filter string
			want   filterNode
		}{
			{"user search", userFilter.Expand(ldap.EscapeFilter, map[string]string{"username": value}), eq("uid")},
			{"group search", groupFilter.Expand(ldap.EscapeFilter, map[string]string{"dn": value, "username": value}),
				or(eq("member"), eq("uniqueMember"), eq("memberUid"))},
			{"nested parents", parentTemplate.Expand(ldap.EscapeFilter, map[string]string{"dn": value}),
				or(eq("member"), eq("uniqueMember"))},
			{"own entry (UPN)", upn.ownEntryFilter(value, bindName),
				or(filterNode{op: "eq", attr: "userPrincipalName", value: bindName}, eq("sAMAccountName"))},
			{"in chain", inChainFilter(value), filterNode{op: "ext", attr: "member", rule: matchingRuleInChain, value: value}},
		}
		for _, c := range cases {
			got, err := parseFilter(c.filter)
			if err != nil {
				t.Fatalf("%s: %q is not a valid filter: %v", c.name, c.filter, err)
			}
			if !got.equal(c.want) {
				t.Fatalf("%s: %q reads as %+v, want %+v", c.name, c.filter, got, c.want)
			}
			// go-ldap must also be able to send it (not the oracle: a
			// filter it cannot encode would fail every login).
			if _, err := ldap.CompileFilter(c.filter); err != nil {
				t.Fatalf("%s: go-ldap cannot encode %q: %v", c.name, c.filter, err)
			}
		}
	})
}

// FuzzDNEscaping: whatever the username, the bind name of a DN template
// reads back, by the RFC 4514 reference reader, as the template's DN with
// exactly the username as the first RDN's only value, and its account key
// does not depend on how that value was escaped. A username that is not
// UTF-8 cannot be a DN value and is refused.
func FuzzDNEscaping(f *testing.F) {
	bt := mustBindTemplate(f, peopleTemplate)
	rest := [][]ava{{{"ou", "people"}}, {{"dc", "example"}}, {{"dc", "org"}}}
	f.Fuzz(func(t *testing.T, username string) {
		name, err := bt.name(username)
		if !utf8.ValidString(username) {
			if KindOf(err) != KindInvalidCredentials {
				t.Fatalf("a username that is not UTF-8 gave bind name %q, error %v", name, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("name(%q): %v", username, err)
		}
		rdns, err := parseDNStrict(name)
		if err != nil {
			t.Fatalf("bind name %q is not a valid DN: %v", name, err)
		}
		want := append([][]ava{{{"uid", username}}}, rest...)
		if fmt.Sprintf("%q", rdns) != fmt.Sprintf("%q", want) {
			t.Fatalf("bind name %q reads as %q, want %q", name, rdns, want)
		}
		// The same DN spelled with the reference escaper gets the same
		// guard key: the key must name the account, not the spelling.
		ref := "uid=" + referenceDNEscape(username) + ",ou=people,dc=example,dc=org"
		if refRDNs, err := parseDNStrict(ref); err != nil || fmt.Sprintf("%q", refRDNs) != fmt.Sprintf("%q", want) {
			t.Fatalf("reference spelling %q reads as %q (%v)", ref, refRDNs, err)
		}
		if got, wantKey := bt.accountKey(name), bt.accountKey(ref); got != wantKey {
			t.Fatalf("account key %q for %q, but %q for the same DN spelled %q", got, name, wantKey, ref)
		}
		// The per-request shortcut gives exactly the parsed DN's key.
		if fast, parsed := bt.accountKeyFor(username, name), bt.accountKey(name); fast != parsed {
			t.Fatalf("accountKeyFor(%q) = %q, accountKey of its DN %q = %q", username, fast, name, parsed)
		}
	})
}
