package ldapauth

import (
	"encoding/base64"
	"net/http"
	"unicode/utf8"
	"unsafe"
)

// Bounds on what a client may send. They keep a hostile header from costing
// more than a fixed amount of work, and they are generous: Active Directory
// caps passwords at 256 characters and sAMAccountName at 20.
const (
	maxAuthorizationLen = 4096 // bytes of the whole header value
	MaxUsernameLen      = 256  // bytes of the decoded username
	MaxPasswordLen      = 1024 // bytes of the decoded password

	// credentialsBufLen holds the decoded form of the longest accepted header.
	credentialsBufLen = maxAuthorizationLen * 3 / 4
)

// CredentialsBuffer is scratch space for ParseBasic. Callers keep it on their
// stack so that parsing a header allocates nothing.
type CredentialsBuffer [credentialsBufLen]byte

// CredentialsError says why a request's credentials were refused before any
// directory traffic. Its text is safe to log: it never quotes the header.
type CredentialsError struct{ Reason string }

func (e *CredentialsError) Error() string { return "credentials rejected: " + e.Reason }

// Each failure is a preallocated value: rejecting garbage must stay cheap.
var (
	ErrNoCredentials      = &CredentialsError{"no Authorization header"}
	errManyHeaders        = &CredentialsError{"more than one Authorization header"}
	errNotBasic           = &CredentialsError{"Authorization scheme is not Basic"}
	errHeaderTooLong      = &CredentialsError{"Authorization header too long"}
	errBadBase64          = &CredentialsError{"credentials are not valid base64"}
	errNoColon            = &CredentialsError{"decoded credentials contain no colon"}
	errEmptyUsername      = &CredentialsError{"empty username"}
	errEmptyPassword      = &CredentialsError{"empty password"}
	errUsernameTooLong    = &CredentialsError{"username too long"}
	errPasswordTooLong    = &CredentialsError{"password too long"}
	errNotUTF8            = &CredentialsError{"credentials are not valid UTF-8"}
	errControlCharacter   = &CredentialsError{"credentials contain a control character"}
	errMalformedSeparator = &CredentialsError{"Basic scheme not followed by a space and credentials"}
)

// BasicFromRequest extracts the single Authorization header of r and parses
// it with ParseBasic. Several Authorization headers are refused: proxies
// disagree on which one counts, and that disagreement is how smuggling starts.
func BasicFromRequest(r *http.Request, buf *CredentialsBuffer) (username, password []byte, err error) {
	values := r.Header["Authorization"]
	switch len(values) {
	case 0:
		return nil, nil, ErrNoCredentials
	case 1:
		return ParseBasic(values[0], buf)
	default:
		return nil, nil, errManyHeaders
	}
}

// ParseBasic parses an RFC 7617 Basic credentials header value into a
// username and password that point into buf. The scheme is matched without
// regard to case, the decoded text is split at the first colon (so passwords
// may contain colons, usernames may not), both parts must be non-empty,
// valid UTF-8 and free of control characters, and both are length-bounded.
// Usernames must also be in the form directories compare (see
// checkUsernameForm); passwords are passed on byte for byte.
//
// An empty password is refused here, before any network traffic: a simple
// bind with an empty password is an "unauthenticated bind", which Active
// Directory and many other servers answer with success.
func ParseBasic(header string, buf *CredentialsBuffer) (username, password []byte, err error) {
	if len(header) > maxAuthorizationLen {
		return nil, nil, errHeaderTooLong
	}
	const scheme = "basic"
	if len(header) < len(scheme) || !equalFoldASCII(header[:len(scheme)], scheme) {
		return nil, nil, errNotBasic
	}
	rest := header[len(scheme):]
	if len(rest) == 0 || rest[0] != ' ' {
		return nil, nil, errMalformedSeparator
	}
	for len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	for len(rest) > 0 && rest[len(rest)-1] == ' ' {
		rest = rest[:len(rest)-1]
	}
	if rest == "" {
		return nil, nil, errMalformedSeparator
	}
	// base64 decoding skips \r and \n; a header cannot carry them, but a
	// caller of this function could, so refuse them explicitly.
	for i := 0; i < len(rest); i++ {
		if rest[i] == '\r' || rest[i] == '\n' {
			return nil, nil, errBadBase64
		}
	}
	n, err := base64.StdEncoding.Decode(buf[:], readOnlyBytes(rest))
	if err != nil {
		return nil, nil, errBadBase64
	}
	decoded := buf[:n]
	colon := -1
	for i, c := range decoded {
		if c == ':' {
			colon = i
			break
		}
	}
	if colon < 0 {
		return nil, nil, errNoColon
	}
	username, password = decoded[:colon], decoded[colon+1:]
	switch {
	case len(username) == 0:
		return nil, nil, errEmptyUsername
	case len(password) == 0:
		return nil, nil, errEmptyPassword
	case len(username) > MaxUsernameLen:
		return nil, nil, errUsernameTooLong
	case len(password) > MaxPasswordLen:
		return nil, nil, errPasswordTooLong
	}
	if err := checkCredentialText(username); err != nil {
		return nil, nil, err
	}
	if err := checkUsernameForm(username); err != nil {
		return nil, nil, err
	}
	if err := checkCredentialText(password); err != nil {
		return nil, nil, err
	}
	return username, password, nil
}

// checkCredentialText enforces RFC 7617's "MUST NOT contain any control
// characters" (C0, DEL and, since the text is Unicode, C1) and valid UTF-8.
func checkCredentialText(b []byte) error {
	if !utf8.Valid(b) {
		return errNotUTF8
	}
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return errControlCharacter
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r >= 0x80 && r <= 0x9f {
			return errControlCharacter
		}
		i += size
	}
	return nil
}

func equalFoldASCII(a, lowerB string) bool {
	if len(a) != len(lowerB) {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lowerB[i] {
			return false
		}
	}
	return true
}

// readOnlyBytes views s as a byte slice without copying it. The result must
// never be written to; base64 decoding only reads its source. This saves an
// allocation per request on the hot path.
func readOnlyBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
