package directory

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// A reference reader and writer of distinguished names (RFC 4514 string
// form), written from the RFC for the tests: the oracle that go-ldap's
// EscapeDN and the package's DN templates are checked against, independent
// of go-ldap's own DN parser. It is strict: a value character that the RFC
// requires to be escaped at that position is an error.

// ava is one attribute type and decoded value of an RDN.
type ava struct{ typ, value string }

func parseDNStrict(s string) ([][]ava, error) {
	if s == "" {
		return nil, nil
	}
	var rdns [][]ava
	i := 0
	for {
		var rdn []ava
		for {
			a, next, err := parseAVA(s, i)
			if err != nil {
				return nil, err
			}
			rdn = append(rdn, a)
			i = next
			if i < len(s) && s[i] == '+' {
				i++
				continue
			}
			break
		}
		rdns = append(rdns, rdn)
		if i == len(s) {
			return rdns, nil
		}
		if s[i] != ',' {
			return nil, fmt.Errorf("',' expected at %d", i)
		}
		i++
	}
}

// parseAVA reads attributeType "=" attributeValue starting at i.
func parseAVA(s string, i int) (ava, int, error) {
	start := i
	for i < len(s) && isAttrChar(s[i]) && s[i] != ';' {
		i++
	}
	if i == start || i >= len(s) || s[i] != '=' {
		return ava{}, 0, fmt.Errorf("attribute type and '=' expected at %d", start)
	}
	typ := s[start:i]
	i++
	if i < len(s) && s[i] == '#' {
		return ava{}, 0, errors.New("hexstring values are not expected from an escaper of strings")
	}
	var out []byte
	first := true
	lastEscaped := false
	for i < len(s) && s[i] != ',' && s[i] != '+' {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s) {
				return ava{}, 0, errors.New("dangling '\\'")
			}
			n := s[i+1]
			switch {
			case strings.IndexByte(`\"+,;<> #=`, n) >= 0:
				out = append(out, n)
				i += 2
			case i+2 < len(s) && isHex(n) && isHex(s[i+2]):
				out = append(out, unhex(n)<<4|unhex(s[i+2]))
				i += 3
			default:
				return ava{}, 0, fmt.Errorf("bad escape at %d", i)
			}
			lastEscaped = true
		case c == 0 || strings.IndexByte(`";<>`, c) >= 0:
			return ava{}, 0, fmt.Errorf("unescaped %q at %d", c, i)
		case first && (c == ' ' || c == '#'):
			return ava{}, 0, fmt.Errorf("unescaped leading %q", c)
		case c >= 0x80:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size <= 1 {
				return ava{}, 0, fmt.Errorf("malformed UTF-8 at %d", i)
			}
			out = append(out, s[i:i+size]...)
			i += size
			lastEscaped = false
		default:
			out = append(out, c)
			i++
			lastEscaped = false
		}
		first = false
	}
	if len(out) > 0 && out[len(out)-1] == ' ' && !lastEscaped {
		return ava{}, 0, errors.New("unescaped trailing space")
	}
	return ava{typ: typ, value: string(out)}, i, nil
}

// referenceDNEscape escapes a value for the string form at its most
// cautious: every special, a leading or trailing space, a leading '#', and
// every control byte as a hex pair.
func referenceDNEscape(value string) string {
	var b strings.Builder
	for i := 0; i < len(value); i++ {
		c := value[i]
		switch {
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\%02x`, c)
		case strings.IndexByte(`\"+,;<>=`, c) >= 0,
			c == ' ' && (i == 0 || i == len(value)-1),
			c == '#' && i == 0:
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// The reference reader against RFC 4514's own examples.
func TestReferenceDNReader(t *testing.T) {
	tests := []struct {
		dn   string
		want [][]ava
		bad  bool
	}{
		{dn: "UID=jsmith,DC=example,DC=net", want: [][]ava{{{"UID", "jsmith"}}, {{"DC", "example"}}, {{"DC", "net"}}}},
		{dn: "OU=Sales+CN=J.  Smith,DC=example,DC=net", want: [][]ava{{{"OU", "Sales"}, {"CN", "J.  Smith"}}, {{"DC", "example"}}, {{"DC", "net"}}}},
		{dn: `CN=James \"Jim\" Smith\, III,DC=example,DC=net`, want: [][]ava{{{"CN", `James "Jim" Smith, III`}}, {{"DC", "example"}}, {{"DC", "net"}}}},
		{dn: `CN=Before\0dAfter,DC=example,DC=net`, want: [][]ava{{{"CN", "Before\rAfter"}}, {{"DC", "example"}}, {{"DC", "net"}}}},
		{dn: `CN=Lu\C4\8Di\C4\87`, want: [][]ava{{{"CN", "Lučić"}}}},
		{dn: `cn=\ a\ `, want: [][]ava{{{"cn", " a "}}}},
		{dn: `cn=\#a#,dc=x`, want: [][]ava{{{"cn", "#a#"}}, {{"dc", "x"}}}},
		{dn: "cn=a=b", want: [][]ava{{{"cn", "a=b"}}}},
		{dn: "cn= a", bad: true},
		{dn: "cn=a ", bad: true},
		{dn: "cn=#a", bad: true},
		{dn: "cn=a;b", bad: true},
		{dn: `cn=a"b`, bad: true},
		{dn: "cn=a<b", bad: true},
		{dn: `cn=a\`, bad: true},
		{dn: `cn=a\x`, bad: true},
		{dn: "cn=a\x00", bad: true},
		{dn: "cn=a\xff", bad: true},
		{dn: "=a", bad: true},
		{dn: "cn=a,,dc=x", bad: true},
		{dn: "1.3.6.1.4.1.1466.0=#04024869", bad: true}, // hexstring: never produced by an escaper
	}
	for _, tt := range tests {
		got, err := parseDNStrict(tt.dn)
		switch {
		case tt.bad && err == nil:
			t.Errorf("%q accepted as %v", tt.dn, got)
		case !tt.bad && err != nil:
			t.Errorf("%q: %v", tt.dn, err)
		case !tt.bad && fmt.Sprint(got) != fmt.Sprint(tt.want):
			t.Errorf("%q parsed as %v, want %v", tt.dn, got, tt.want)
		}
	}
	for _, v := range []string{"", " ", "  a  ", "#", "a#", `\`, `"+,;<>=`, "\x00\x01\x7f", "é", "a\u00a0"} {
		if got, err := parseDNStrict("cn=" + referenceDNEscape(v)); err != nil || len(got) != 1 || got[0][0].value != v {
			t.Errorf("reference escape of %q does not read back: %v %v", v, got, err)
		}
	}
}
