package directory

import (
	"errors"
	"strings"
	"testing"
)

func TestParseBindTemplate(t *testing.T) {
	tests := []struct {
		text      string
		wantKind  bindKind
		wantLogin string
		wantBase  string
	}{
		{"uid={username},ou=people,dc=example,dc=org", bindDN, "uid", "ou=people,dc=example,dc=org"},
		{"cn={username},ou=people,dc=example,dc=org", bindDN, "cn", "ou=people,dc=example,dc=org"},
		// The username is not the whole first RDN value: nothing can be
		// said about which attribute users log in with.
		{"uid=x-{username},ou=people,dc=example,dc=org", bindDN, "", ""},
		{"cn=x,uid={username},dc=org", bindDN, "", ""},
		{"uid={username}+cn=x,dc=org", bindDN, "", ""},
		{"uid={username}", bindDN, "", ""},
		{"{username}@corp.example.org", bindUPN, "userPrincipalName", ""},
		{`CORP\{username}`, bindDownLevel, "sAMAccountName", ""},
		{`corp.example\{username}`, bindDownLevel, "sAMAccountName", ""},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			bt, err := ParseBindTemplate(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if bt.kind != tt.wantKind || bt.LoginAttribute() != tt.wantLogin || bt.EntryBase() != tt.wantBase {
				t.Fatalf("kind %d login %q base %q; want %d %q %q", bt.kind, bt.LoginAttribute(), bt.EntryBase(), tt.wantKind, tt.wantLogin, tt.wantBase)
			}
			if bt.IsZero() || bt.IsDN() != (tt.wantKind == bindDN) {
				t.Fatalf("IsZero %v IsDN %v", bt.IsZero(), bt.IsDN())
			}
		})
	}
	if !(BindTemplate{}).IsZero() {
		t.Fatal("the zero BindTemplate is not IsZero")
	}
}

func TestParseBindTemplateRefuses(t *testing.T) {
	for _, text := range []string{
		"", "{username}", "no placeholder", "uid=alice,dc=org", "{user}@corp", "{username",
		"x{username}@corp.example.org", "{username}@", "{username}@corp example", "{username}@a@b",
		"{username}@a,b", "{username}@corp{username}", "{username}@corp.example.org ",
		`CORP\{username}x`, `\{username}`, `CO RP\{username}`, `CORP\\{username}`, `CO@RP\{username}`,
		"{username}{username}", "uid={username},,dc=org", "=x{username}",
	} {
		t.Run(text, func(t *testing.T) {
			if bt, err := ParseBindTemplate(text); err == nil {
				t.Fatalf("accepted as kind %d", bt.kind)
			}
		})
	}
	_, err := ParseBindTemplate("{username}")
	if !errors.Is(err, ErrBindTemplateForm) {
		t.Fatalf("a template of no form gives %v, want ErrBindTemplateForm", err)
	}
}

func TestBindName(t *testing.T) {
	dn := mustBindTemplate(t, "uid={username},ou=people,dc=example,dc=org")
	upn := mustBindTemplate(t, "{username}@corp.example.org")
	downLevel := mustBindTemplate(t, `CORP\{username}`)
	tests := []struct {
		name     string
		template BindTemplate
		username string
		want     string // "" when refused
	}{
		{"DN", dn, "alice", "uid=alice,ou=people,dc=example,dc=org"},
		{"DN escapes a comma", dn, ",ou=admins", `uid=\,ou=admins,ou=people,dc=example,dc=org`},
		{"DN escapes outer spaces", dn, " alice ", `uid=\ alice\ ,ou=people,dc=example,dc=org`},
		{"DN escapes a plus", dn, "a+cn=b", `uid=a\+cn=b,ou=people,dc=example,dc=org`},
		{"DN escapes NUL", dn, "a\x00", `uid=a\00,ou=people,dc=example,dc=org`},
		{"DN refuses bytes that are not UTF-8", dn, "a\xff", ""},
		{"UPN", upn, "alice", "alice@corp.example.org"},
		{"UPN apostrophe", upn, "o'brien", "o'brien@corp.example.org"},
		{"UPN punctuation", upn, "a.b-c_d", "a.b-c_d@corp.example.org"},
		{"UPN inner space", upn, "alice smith", "alice smith@corp.example.org"},
		{"UPN non-ASCII", upn, "élodie", "élodie@corp.example.org"},
		{"UPN refuses bytes that are not UTF-8", upn, "a\xff", ""},
		{"down-level", downLevel, "alice", `CORP\alice`},
		{"down-level refuses bytes that are not UTF-8", downLevel, "\xc3", ""},
	}
	// Every character that could name another account or domain, or a
	// different place in a DN, is refused in the forms that cannot escape.
	for _, c := range `@\/,;+="<>#*()` {
		for _, bt := range []struct {
			name string
			tmpl BindTemplate
		}{{"UPN", upn}, {"down-level", downLevel}} {
			tests = append(tests, struct {
				name     string
				template BindTemplate
				username string
				want     string
			}{bt.name + " refuses " + string(c), bt.tmpl, "a" + string(c) + "b", ""})
		}
	}
	for _, u := range []string{" alice", "alice ", "\talice", "alice\n"} {
		tests = append(tests, struct {
			name     string
			template BindTemplate
			username string
			want     string
		}{"UPN refuses outer space " + strings.TrimSpace(u), upn, u, ""})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.template.name(tt.username)
			if tt.want == "" {
				if KindOf(err) != KindInvalidCredentials || got != "" {
					t.Fatalf("name(%q) = %q, %v; want refused as invalid credentials", tt.username, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("name(%q) = %q, %v; want %q", tt.username, got, err, tt.want)
			}
		})
	}
}

// The account key names the account the way the directory compares names,
// so every spelling of one account shares one key, and two accounts never
// do.
func TestAccountKey(t *testing.T) {
	dn := mustBindTemplate(t, "uid={username},ou=people,dc=example,dc=org")
	upn := mustBindTemplate(t, "{username}@corp.example.org")
	downLevel := mustBindTemplate(t, `CORP\{username}`)
	same := []struct {
		tmpl BindTemplate
		a, b string
	}{
		{dn, "uid=Alice,ou=People,dc=Example,dc=org", "UID=alice, OU=people, DC=example, DC=ORG"},
		{dn, `uid=\ alice,ou=people,dc=example,dc=org`, "uid=alice,ou=people,dc=example,dc=org"},
		{dn, `cn=Smith\, John,ou=people,dc=example,dc=org`, `cn=smith\2C john,ou=people,dc=example,dc=org`},
		{upn, "Alice@Corp.Example.Org", "alice@corp.example.org"},
		{upn, "ＡＬＩＣＥ@corp.example.org", "alice@corp.example.org"},
		{downLevel, `CORP\Alice`, `corp\ALICE`},
	}
	for _, tt := range same {
		if ka, kb := tt.tmpl.accountKey(tt.a), tt.tmpl.accountKey(tt.b); ka != kb {
			t.Errorf("%q -> %q but %q -> %q", tt.a, ka, tt.b, kb)
		}
	}
	different := []struct {
		tmpl BindTemplate
		a, b string
	}{
		{dn, "uid=alice,ou=people,dc=example,dc=org", "uid=bob,ou=people,dc=example,dc=org"},
		{dn, "uid=alice,ou=people,dc=example,dc=org", "uid=alice,ou=contractors,dc=example,dc=org"},
		{dn, `uid=a\,b,dc=org`, "uid=a,b=,dc=org"},
		{upn, "alice@corp.example.org", "alice@corp.example.com"},
		{downLevel, `CORP\alice`, `CORP\alicia`},
	}
	for _, tt := range different {
		if ka, kb := tt.tmpl.accountKey(tt.a), tt.tmpl.accountKey(tt.b); ka == kb {
			t.Errorf("%q and %q share the key %q", tt.a, tt.b, ka)
		}
	}
	if k := dn.accountKey("uid=alice,ou=people,dc=example,dc=org"); k != aliceKey {
		t.Errorf("DN key %q, want %q (the key search-then-bind uses)", k, aliceKey)
	}
	if k := upn.accountKey("Alice@Corp.Example.Org"); k != "name:alice@corp.example.org" {
		t.Errorf("UPN key %q", k)
	}
}

func TestOwnEntryFilter(t *testing.T) {
	upn := mustBindTemplate(t, "{username}@corp.example.org")
	downLevel := mustBindTemplate(t, `CORP\{username}`)
	if got, want := upn.ownEntryFilter("alice", "alice@corp.example.org"),
		"(|(userPrincipalName=alice@corp.example.org)(sAMAccountName=alice))"; got != want {
		t.Errorf("UPN: %q, want %q", got, want)
	}
	if got, want := downLevel.ownEntryFilter("a*", `CORP\a*`), `(sAMAccountName=a\2a)`; got != want {
		t.Errorf("down-level: %q, want %q", got, want)
	}
	if got := mustBindTemplate(t, peopleTemplate).ownEntryFilter("alice", "uid=alice"); got != "" {
		t.Errorf("DN template: %q, want none (the DN itself is read)", got)
	}
}

// accountKeyFor's shortcut gives the same key as parsing the bind name,
// for every kind of username and for templates with and without it.
func TestAccountKeyForMatchesTheParsedDN(t *testing.T) {
	templates := []string{
		"uid={username},ou=people,dc=example,dc=org",
		"CN={username},OU=Users,DC=Corp,DC=Example,DC=Org",
		"uid={username}",
		"uid={username}+cn=x,ou=people,dc=example,dc=org",
		"{username}@corp.example.org",
	}
	users := []string{"alice", "Alice", " alice ", "ALICE  X", "o'brien", "Smith, John", "#hash", "jürgen", "ÄLICE", "a+b=c", `back\slash`, "tab\there"}
	for _, text := range templates {
		bt := mustBindTemplate(t, text)
		for _, u := range users {
			name, err := bt.name(u)
			if err != nil {
				continue // refused for this form: nothing to key
			}
			if fast, parsed := bt.accountKeyFor(u, name), bt.accountKey(name); fast != parsed {
				t.Errorf("%s, %q: accountKeyFor %q, parsed %q", text, u, fast, parsed)
			}
		}
	}
}
