package ldapauth

import (
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// errUsernameNotNormal refuses usernames that a directory would fold into
// another spelling of the same account. LDAP servers compare names after
// RFC 4518 string preparation: compatibility normalisation (NFKC), case
// folding, and mapping many characters to nothing or to a space. So
// "ａlice" (fullwidth), "𝐚lice" (mathematical bold), "ali\u00adce" (soft
// hyphen) or "alice\u00a0" (no-break space) all bind as "alice". Accepting
// them would give every account an unbounded set of names, each with its own
// cache entries and failure count: a way around max_failures, and a source
// of identities that look different in logs. Real users type the plain
// spelling; the refusal happens before any directory traffic.
var errUsernameNotNormal = &CredentialsError{"username is not in Unicode normal form (NFKC) or holds invisible characters"}

// checkUsernameForm reports whether username is already in the form a
// directory compares: NFKC-stable, with no character that string
// preparation maps to nothing or to a space (other than U+0020 itself).
func checkUsernameForm(username []byte) error {
	if isASCII(username) {
		return nil // ASCII printable text is NFKC-stable; controls were refused earlier
	}
	if !norm.NFKC.IsNormal(username) {
		return errUsernameNotNormal
	}
	for _, r := range string(username) {
		if mappedAway(r) {
			return errUsernameNotNormal
		}
	}
	return nil
}

// mappedAway lists what RFC 4518 section 2.2 maps to nothing or to SPACE:
// format characters (soft hyphen, zero-width space and joiners, byte order
// mark), the combining grapheme joiner, variation selectors, the Mongolian
// soft hyphen and free variation selectors, the object replacement
// character, and separators other than the ASCII space.
func mappedAway(r rune) bool {
	switch {
	case r == ' ':
		return false
	case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Z, r):
		return true
	case r == 0x034F, r == 0x1806, r >= 0x180B && r <= 0x180D, r == 0xFFFC,
		r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF:
		return true
	}
	return false
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
