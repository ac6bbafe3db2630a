package directory

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// A reference reader and writer of LDAP search filters (RFC 4515), written
// from the RFC for the tests: the oracle that go-ldap's EscapeFilter and the
// package's filter templates are checked against, independent of go-ldap's
// own filter parser. It reads the subset the package builds: and, or, not,
// equality and extensible matches. Substring and presence filters (an
// unescaped '*') are errors: no user input may ever produce one.

// filterNode is a parsed filter; value is the decoded assertion value.
type filterNode struct {
	op       string // "and", "or", "not", "eq", "ext"
	attr     string
	rule     string // extensible: the matching rule OID
	value    string
	children []filterNode
}

func (n filterNode) equal(o filterNode) bool {
	return n.op == o.op && n.attr == o.attr && n.rule == o.rule && n.value == o.value &&
		slices.EqualFunc(n.children, o.children, filterNode.equal)
}

func parseFilter(s string) (filterNode, error) {
	p := &filterParser{s: s}
	n, err := p.filter()
	if err != nil {
		return filterNode{}, err
	}
	if p.i != len(s) {
		return filterNode{}, fmt.Errorf("trailing text at %d: %q", p.i, s[p.i:])
	}
	return n, nil
}

type filterParser struct {
	s string
	i int
}

func (p *filterParser) filter() (filterNode, error) {
	if p.i >= len(p.s) || p.s[p.i] != '(' {
		return filterNode{}, fmt.Errorf("'(' expected at %d", p.i)
	}
	p.i++
	var n filterNode
	var err error
	if p.i >= len(p.s) {
		return filterNode{}, errors.New("unterminated filter")
	}
	switch p.s[p.i] {
	case '&', '|':
		n.op = map[byte]string{'&': "and", '|': "or"}[p.s[p.i]]
		p.i++
		for p.i < len(p.s) && p.s[p.i] == '(' {
			child, err := p.filter()
			if err != nil {
				return filterNode{}, err
			}
			n.children = append(n.children, child)
		}
		if len(n.children) == 0 {
			return filterNode{}, errors.New("empty filter list")
		}
	case '!':
		p.i++
		child, err := p.filter()
		if err != nil {
			return filterNode{}, err
		}
		n = filterNode{op: "not", children: []filterNode{child}}
	default:
		if n, err = p.item(); err != nil {
			return filterNode{}, err
		}
	}
	if p.i >= len(p.s) || p.s[p.i] != ')' {
		return filterNode{}, fmt.Errorf("')' expected at %d", p.i)
	}
	p.i++
	return n, nil
}

// item reads attr=value or attr:rule:=value.
func (p *filterParser) item() (filterNode, error) {
	start := p.i
	for p.i < len(p.s) && isAttrChar(p.s[p.i]) {
		p.i++
	}
	attr := p.s[start:p.i]
	if attr == "" {
		return filterNode{}, fmt.Errorf("attribute expected at %d", start)
	}
	n := filterNode{op: "eq", attr: attr}
	if p.i < len(p.s) && p.s[p.i] == ':' {
		p.i++
		ruleStart := p.i
		for p.i < len(p.s) && (p.s[p.i] == '.' || isDigit(p.s[p.i])) {
			p.i++
		}
		n.op, n.rule = "ext", p.s[ruleStart:p.i]
		if n.rule == "" || !strings.HasPrefix(p.s[p.i:], ":=") {
			return filterNode{}, fmt.Errorf("matching rule and ':=' expected at %d", ruleStart)
		}
		p.i += 2
	} else {
		if p.i >= len(p.s) || p.s[p.i] != '=' {
			return filterNode{}, fmt.Errorf("'=' expected at %d (only equality is expected)", p.i)
		}
		p.i++
	}
	value, err := p.assertionValue()
	if err != nil {
		return filterNode{}, err
	}
	n.value = value
	return n, nil
}

// assertionValue decodes valueencoding = 0*(normal / escaped) up to the
// closing parenthesis. normal is UTF1SUBSET (%x01-27 / %x2B-5B / %x5D-7F)
// or a well-formed UTF-8 multi-byte character; escaped is '\' HEX HEX.
func (p *filterParser) assertionValue() (string, error) {
	var out []byte
	for p.i < len(p.s) && p.s[p.i] != ')' {
		c := p.s[p.i]
		switch {
		case c == '\\':
			if p.i+2 >= len(p.s) || !isHex(p.s[p.i+1]) || !isHex(p.s[p.i+2]) {
				return "", fmt.Errorf("bad escape at %d", p.i)
			}
			out = append(out, unhex(p.s[p.i+1])<<4|unhex(p.s[p.i+2]))
			p.i += 3
		case c == 0 || c == '(' || c == '*':
			return "", fmt.Errorf("unescaped %q at %d", c, p.i)
		case c >= 0x80:
			r, size := utf8.DecodeRuneInString(p.s[p.i:])
			if r == utf8.RuneError && size <= 1 {
				return "", fmt.Errorf("malformed UTF-8 at %d", p.i)
			}
			out = append(out, p.s[p.i:p.i+size]...)
			p.i += size
		default:
			out = append(out, c)
			p.i++
		}
	}
	return string(out), nil
}

func isAttrChar(c byte) bool {
	return c == '-' || c == ';' || c == '.' || isDigit(c) || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F') }

func unhex(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// referenceFilterEscape is the RFC 4515 escaping at its most cautious:
// every byte outside printable ASCII and every special is hex-escaped.
func referenceFilterEscape(value string) string {
	var b strings.Builder
	for i := 0; i < len(value); i++ {
		c := value[i]
		if c < 0x20 || c >= 0x7f || c == '(' || c == ')' || c == '*' || c == '\\' {
			fmt.Fprintf(&b, `\%02X`, c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// The reference reader against RFC 4515's own examples, so the oracle is
// known to be right before it judges anything.
func TestReferenceFilterReader(t *testing.T) {
	eq := func(attr, value string) filterNode { return filterNode{op: "eq", attr: attr, value: value} }
	tests := []struct {
		filter string
		want   filterNode
		bad    bool
	}{
		{filter: "(cn=Babs Jensen)", want: eq("cn", "Babs Jensen")},
		{filter: "(!(cn=Tim Howes))", want: filterNode{op: "not", children: []filterNode{eq("cn", "Tim Howes")}}},
		{filter: "(&(objectClass=Person)(|(sn=Jensen)(cn=Babs J)))", want: filterNode{op: "and", children: []filterNode{
			eq("objectClass", "Person"), {op: "or", children: []filterNode{eq("sn", "Jensen"), eq("cn", "Babs J")}}}}},
		{filter: "(seeAlso=)", want: eq("seeAlso", "")},
		{filter: `(o=Parens R Us \28for all your parenthetical needs\29)`, want: eq("o", "Parens R Us (for all your parenthetical needs)")},
		{filter: `(filename=C:\5cMyFile)`, want: eq("filename", `C:\MyFile`)},
		{filter: `(bin=\00\00\00\04)`, want: eq("bin", "\x00\x00\x00\x04")},
		{filter: `(sn=Lu\c4\8di\c4\87)`, want: eq("sn", "Lučić")},
		{filter: "(sn=Lučić)", want: eq("sn", "Lučić")},
		{filter: "(member:1.2.840.113556.1.4.1941:=cn=a,dc=b)", want: filterNode{op: "ext", attr: "member", rule: "1.2.840.113556.1.4.1941", value: "cn=a,dc=b"}},
		{filter: "(cn=Babs J*)", bad: true},
		{filter: `(cn=*\2A*)`, bad: true},
		{filter: "(cn=a)(cn=b)", bad: true},
		{filter: "(cn=a(b)", bad: true},
		{filter: `(cn=a\2)`, bad: true},
		{filter: `(cn=a\)`, bad: true},
		{filter: "(cn=a\x00)", bad: true},
		{filter: "(cn=a\xff)", bad: true},
		{filter: "(cn~=a)", bad: true},
		{filter: "(&)", bad: true},
		{filter: "cn=a", bad: true},
	}
	for _, tt := range tests {
		got, err := parseFilter(tt.filter)
		switch {
		case tt.bad && err == nil:
			t.Errorf("%q accepted as %+v", tt.filter, got)
		case !tt.bad && err != nil:
			t.Errorf("%q: %v", tt.filter, err)
		case !tt.bad && !got.equal(tt.want):
			t.Errorf("%q parsed as %+v, want %+v", tt.filter, got, tt.want)
		}
	}
	for _, v := range []string{"", "a*b", "(x)", `\`, "\x00\x7f\x80\xff", "é"} {
		if got, err := parseFilter("(a=" + referenceFilterEscape(v) + ")"); err != nil || got.value != v {
			t.Errorf("reference escape of %q does not read back: %+v %v", v, got, err)
		}
	}
}
