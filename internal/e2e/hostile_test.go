package e2e

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// hostileCase is one malicious or malformed Authorization.
type hostileCase struct {
	name   string
	values []string // Authorization header lines; several are sent as several lines
	// syntax: refused by the credentials parser, so nothing may reach the
	// directory.
	syntax bool
}

func b64(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }

// hostileCases returns the table. Injection attempts carry alice's real
// password (or the root/service account's), so a filter or DN injection
// that lands on a real entry would show up as a 200.
func hostileCases(ldap *slapdtest.Server) []hostileCase {
	const pw = "alice-pass-1"
	valid := basic("alice", pw)
	syntax := func(name string, values ...string) hostileCase { return hostileCase{name, values, true} }
	ldapUser := func(name, user string) hostileCase { return hostileCase{name, []string{basic(user, pw)}, false} }
	many := make([]string, 50)
	for i := range many {
		many[i] = valid
	}
	return []hostileCase{
		// Header shape and scheme.
		syntax("empty value", ""),
		syntax("scheme only", "Basic"),
		syntax("scheme and spaces", "Basic    "),
		syntax("no space after scheme", "Basic"+strings.TrimPrefix(valid, "Basic ")),
		syntax("tab after scheme", "Basic\t"+strings.TrimPrefix(valid, "Basic ")),
		syntax("quoted scheme", `"Basic" `+strings.TrimPrefix(valid, "Basic ")),
		syntax("bearer", "Bearer "+strings.TrimPrefix(valid, "Basic ")),
		syntax("digest", `Digest username="alice", realm="Restricted", nonce="x", uri="/", response="y"`),
		syntax("negotiate", "Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnagMDAuBgkqhkiC9xIBAgIGCSqGSIb3EgECAgYKKwYBBAGCNwICHgYKKwYBBAGCNwICCg=="),
		syntax("fullwidth scheme", "Ｂasic "+strings.TrimPrefix(valid, "Basic ")),
		syntax("two valid headers", valid, basic("bob", "bob-pass-1")),
		syntax("fifty headers", many...),
		// Base64.
		syntax("not base64", "Basic !!!not-base64!!!"),
		syntax("unpadded", "Basic "+strings.TrimRight(base64.StdEncoding.EncodeToString([]byte("alice:alice-pass-1x")), "=")),
		syntax("url alphabet", "Basic YWxp-2U6_A=="),
		syntax("padding only", "Basic ===="),
		syntax("trailing garbage", valid+" extra"),
		syntax("two tokens", valid+" "+strings.TrimPrefix(valid, "Basic ")),
		// Decoded text.
		syntax("no colon", b64("alice")),
		syntax("empty user", b64(":"+pw)),
		syntax("empty password", b64("alice:")),
		syntax("colon only", b64(":")),
		syntax("NUL in user", b64("alice\x00:"+pw)),
		syntax("NUL in password", b64("alice:"+pw+"\x00")),
		syntax("NUL-truncated user", b64("alice\x00ignored:"+pw)),
		syntax("LF in user", b64("al\nice:"+pw)),
		syntax("CR in password", b64("alice:"+pw+"\r")),
		syntax("ESC in user", b64("\x1b[31malice:"+pw)),
		syntax("DEL in user", b64("alice\x7f:"+pw)),
		syntax("C1 NEL in user", b64("alice\u0085:"+pw)),
		syntax("invalid UTF-8 user", b64("alice\xff:"+pw)),
		syntax("overlong UTF-8", b64("\xc0\xafalice:"+pw)),
		syntax("surrogate half", b64("alice:\xed\xa0\x80")),
		syntax("oversized header ~8KB", b64(strings.Repeat("a", 6000)+":"+pw)),
		syntax("username over 256 bytes", b64(strings.Repeat("a", 300)+":"+pw)),
		syntax("password over 1024 bytes", b64("alice:"+strings.Repeat("p", 2000))),
		// Reach the directory and must be refused there.
		ldapUser("star", "*"),
		ldapUser("filter break-out", ")(uid=*"),
		ldapUser("filter OR injection", "alice)(|(uid=*"),
		ldapUser("filter wildcard", "ali*"),
		ldapUser("filter in parens", "(uid=alice)"),
		ldapUser("DN suffix", ",ou=people"),
		ldapUser("DN append", "alice,ou=people"),
		ldapUser("full DN as user", "uid=alice,"+slapdtest.PeopleDN),
		ldapUser("attribute assertion", "uid=alice"),
		ldapUser("multi-valued RDN", "alice+cn=Alice Archer"),
		ldapUser("backslash", `alice\`),
		ldapUser("escaped hex", `\61lice`),
		ldapUser("filter hex escape", `\2a`),
		ldapUser("hash", "#alice"),
		ldapUser("leading equals", "=alice"),
		ldapUser("quote and angle", `"alice"<>`),
		ldapUser("semicolon", "alice;binary"),
		ldapUser("cyrillic a", "аlice"),
		// Spellings a directory would fold into "alice" (NFKC, or mapped to
		// nothing by LDAP string preparation): refused before any traffic.
		syntax("combining acute (not NFKC)", b64("alice\u0301:"+pw)),
		syntax("zero-width space", b64("ali\u200bce:"+pw)),
		syntax("RTL override", b64("\u202eecila:"+pw)),
		syntax("fullwidth letter", b64("\uff41lice:"+pw)),
		syntax("soft hyphen", b64("ali\u00adce:"+pw)),
		ldapUser("256-byte user", strings.Repeat("a", 256)),
		{"root DN with its password", []string{basic(ldap.RootDN(), ldap.RootPassword())}, false},
		{"service DN with its password", []string{basic(slapdtest.ServiceAccountDN, slapdtest.ServiceAccountPassword)}, false},
		{"alice with a star password", []string{basic("alice", "*")}, false},
	}
}

// TestHostileAuthorization sends every hostile header to a direct-bind and
// a search-then-bind API: never a panic, a 2xx or a 5xx; always a 401 with
// the challenge; and what the parser refuses causes no directory traffic.
func TestHostileAuthorization(t *testing.T) {
	e := newEnv(t)
	e.load(
		e.api(classic, "hostile-direct", e.direct()),
		// No revocation watch: its once-a-second searches would be counted
		// as the requests' directory traffic.
		e.api(tykOAS, "hostile-search", e.search("revocation_watch", "off")),
	)
	cases := hostileCases(e.ldap)
	if len(cases) < 40 {
		t.Fatalf("only %d hostile cases", len(cases))
	}
	// Warm both APIs' service connections so later counts are per case.
	checkGranted(t, e.as("hostile-direct", "carol", "carol-pass-1"), "carol")
	checkGranted(t, e.as("hostile-search", "carol", "carol-pass-1"), "carol")
	hits := e.up.count()
	stored := len(e.host.Sessions().Keys())

	for _, api := range []string{"hostile-direct", "hostile-search"} {
		for _, tc := range cases {
			t.Run(api+"/"+tc.name, func(t *testing.T) {
				before := e.counts()
				r, rec := e.record(func() reply { return e.do("/"+api+"/", http.Header{"Authorization": tc.values}) })
				d := e.counts().Sub(before)
				msg := msgInvalid
				if tc.syntax {
					msg = msgMalformed
				}
				checkDenial(t, r, 401, msg, challenge("Restricted"))
				if rec.Status != 401 || rec.KeyID != "" {
					t.Errorf("analytics %+v", rec)
				}
				if tc.syntax && (d.Binds != 0 || d.Searches != 0 || d.Connections != 0) {
					t.Errorf("a header the parser refuses reached the directory: %+v", d)
				}
				if !tc.syntax && d.BindsOK != 0 && api == "hostile-direct" {
					t.Errorf("a successful bind happened for a hostile username: %v", d.BindsByDN)
				}
			})
		}
	}
	if e.up.count() != hits || len(e.host.Sessions().Keys()) != stored {
		t.Error("a hostile request reached the upstream or stored a session")
	}
}

// TestLookalikeUsernameRefused: "ａlice" (fullwidth a) and friends are
// Unicode compatibility look-alikes of "alice". slapd folds them
// (LDAPprep), so with alice's password they bind as alice. The hostile-input
// requirement is that such spellings are refused (401), like any other
// username that is not the account's name.
func TestLookalikeUsernameRefused(t *testing.T) {
	e := newEnv(t)
	e.load(
		e.api(classic, "lookalike-direct", e.direct()),
		e.api(tykOAS, "lookalike-search", e.search()),
	)
	for _, api := range []string{"lookalike-direct", "lookalike-search"} {
		for _, spelling := range []string{"ａlice", "ａｌｉｃｅ", "ⓐlice", "𝐚lice"} {
			t.Run(api+"/"+spelling, func(t *testing.T) {
				r, rec := e.record(func() reply { return e.as(api, spelling, "alice-pass-1") })
				if r.status != 401 || rec.KeyID != "" {
					t.Errorf("status %d, session %q (upstream saw %v); want 401 and no session", r.status, rec.KeyID, r.seen)
				}
			})
		}
	}
}
