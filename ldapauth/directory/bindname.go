package directory

import (
	"errors"
	"strings"
	"unicode/utf8"

	ldap "github.com/go-ldap/ldap/v3"
)

// BindTemplate turns a typed username into the name a direct bind uses. Three
// forms exist, because directories accept three kinds of bind names:
//
//	uid={username},ou=people,dc=example,dc=org   a DN (any LDAP server)
//	{username}@corp.example.org                  an Active Directory userPrincipalName
//	CORP\{username}                              an Active Directory down-level logon name
//
// Each form also says how the entry that bound is found afterwards and which
// account key bounds password attempts before the bind.
type BindTemplate struct {
	kind     bindKind
	template Template
	// loginAttr is the attribute the typed username is matched on, when the
	// template says so: "uid" for uid={username},..., userPrincipalName,
	// sAMAccountName.
	loginAttr string
	// base is where a DN template's entries live (the DN after its first
	// RDN), for checking that a canonical username is unique.
	base string
	// keyPrefix and keySuffix are the normalised parts of a DN template
	// around the username, so a request's account key needs no DN parsing
	// (see accountKeyFor); keyPrefix is empty when the template has another
	// shape.
	keyPrefix, keySuffix string
}

type bindKind int

const (
	bindNone bindKind = iota
	bindDN
	bindUPN
	bindDownLevel
)

// ErrBindTemplateForm explains the accepted forms.
var ErrBindTemplateForm = errors.New(`must be a DN containing {username} (uid={username},ou=people,dc=example,dc=org), ` +
	`an Active Directory userPrincipalName ({username}@corp.example.org) or a down-level name (CORP\{username})`)

// ParseBindTemplate compiles a direct-bind template and tells its form.
func ParseBindTemplate(text string) (BindTemplate, error) {
	t, err := CompileTemplate(text, "username")
	if err != nil {
		return BindTemplate{}, err
	}
	if !t.Uses("username") {
		return BindTemplate{}, errors.New("must contain {username}")
	}
	bt := BindTemplate{template: t}
	sample := t.Expand(func(string) string { return "x" }, nil)
	switch {
	case strings.Contains(text, "="):
		dn, err := ldap.ParseDN(sample)
		if err != nil || len(dn.RDNs) == 0 {
			return BindTemplate{}, ErrBindTemplateForm
		}
		bt.kind = bindDN
		first := t.literals[0]
		if len(t.holes) == 1 && strings.HasSuffix(first, "=") && !strings.ContainsAny(first[:len(first)-1], ",+=") &&
			strings.HasPrefix(t.literals[1], ",") {
			bt.loginAttr = first[:len(first)-1]
			bt.base = strings.TrimPrefix(t.literals[1], ",")
			if _, err := ldap.ParseDN(bt.base); err == nil && !strings.ContainsAny(bt.loginAttr, " \\") {
				bt.keyPrefix = "dn:" + strings.ToLower(bt.loginAttr) + "="
				bt.keySuffix = "," + NormalizeDN(bt.base)
			}
		}
	case len(t.holes) == 1 && t.literals[0] == "" && strings.HasPrefix(t.literals[1], "@") && len(t.literals[1]) > 1 &&
		!strings.ContainsAny(t.literals[1][1:], `@\/,;+="<>#*() `):
		bt.kind, bt.loginAttr = bindUPN, "userPrincipalName"
	case len(t.holes) == 1 && t.literals[1] == "" && strings.HasSuffix(t.literals[0], `\`) && len(t.literals[0]) > 1 &&
		!strings.ContainsAny(t.literals[0][:len(t.literals[0])-1], `@\/,;+="<>#*() `):
		bt.kind, bt.loginAttr = bindDownLevel, "sAMAccountName"
	default:
		return BindTemplate{}, ErrBindTemplateForm
	}
	return bt, nil
}

// IsZero reports whether no template is set (search-then-bind).
func (b BindTemplate) IsZero() bool { return b.kind == bindNone }

// IsDN reports whether the bind name is the entry's DN.
func (b BindTemplate) IsDN() bool { return b.kind == bindDN }

// name returns the bind name for username. In a DN the username is
// DN-escaped. The other forms cannot be escaped, so usernames that could
// name another account or domain are refused. A username that is not UTF-8
// is refused in every form: LDAP names are UTF-8, and escaping would
// replace the bad bytes, so different usernames would bind as one name.
func (b BindTemplate) name(username string) (string, error) {
	if !utf8.ValidString(username) {
		return "", invalidCredentials("the username is not valid UTF-8", nil)
	}
	if b.kind == bindDN {
		return b.template.Expand(ldap.EscapeDN, map[string]string{"username": username}), nil
	}
	if strings.ContainsAny(username, "@\\/,;+=\"<>#*()") || strings.TrimSpace(username) != username {
		return "", invalidCredentials("the username contains characters not allowed in a bind name", nil)
	}
	return b.template.Expand(func(s string) string { return s }, map[string]string{"username": username}), nil
}

// accountKey names the account a bind name reaches, before the bind, in the
// form the directory compares names: DNs normalised, other names folded.
func (b BindTemplate) accountKey(bindName string) string {
	if b.kind == bindDN {
		return "dn:" + NormalizeDN(bindName)
	}
	return "name:" + FoldValue(bindName)
}

// accountKeyFor is accountKey(name(username)), computed from the username
// without parsing the bind name when the template's shape allows it (one
// attr={username} first RDN above a fixed base): the per-request work is
// then folding the username.
func (b BindTemplate) accountKeyFor(username, bindName string) string {
	if b.keyPrefix == "" {
		return b.accountKey(bindName)
	}
	return b.keyPrefix + ldap.EscapeDN(FoldValue(username)) + b.keySuffix
}

// ownEntryFilter finds the entry a non-DN bind name bound as. Active
// Directory resolves user@suffix to the account whose userPrincipalName is
// exactly that, and otherwise to the account whose sAMAccountName is the
// part before the @ (the implicit UPN); both are asked for in one search and
// the explicit match is preferred (see pickOwnEntry).
func (b BindTemplate) ownEntryFilter(username, bindName string) string {
	switch b.kind {
	case bindUPN:
		return "(|(userPrincipalName=" + ldap.EscapeFilter(bindName) + ")(sAMAccountName=" + ldap.EscapeFilter(username) + "))"
	case bindDownLevel:
		return "(sAMAccountName=" + ldap.EscapeFilter(username) + ")"
	}
	return ""
}

// LoginAttribute is the attribute the typed username is matched on, when
// the template says so ("uid" for uid={username},...; userPrincipalName;
// sAMAccountName), else "".
func (b BindTemplate) LoginAttribute() string { return b.loginAttr }

// EntryBase is where a DN template's entries live (the DN after its first
// RDN), else "".
func (b BindTemplate) EntryBase() string { return b.base }
