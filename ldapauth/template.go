package ldapauth

import (
	"fmt"
	"strings"
)

// A template is configuration text with {placeholders}, compiled once so that
// a request only pays for the substitution. Every placeholder value is
// escaped for where it lands (a DN or a filter) by the caller's escape func:
// the template itself never decides that user input is safe.
type template struct {
	literals []string // len(literals) == len(holes)+1
	holes    []string // placeholder names, e.g. "username"
}

// compileTemplate parses text and accepts only the named placeholders. A
// stray or unknown brace is an error rather than literal text, because a typo
// like {usernme} would otherwise search for the literal string.
func compileTemplate(text string, allowed ...string) (template, error) {
	var t template
	rest := text
	var lit strings.Builder
	for {
		open := strings.IndexAny(rest, "{}")
		if open < 0 {
			lit.WriteString(rest)
			break
		}
		if rest[open] == '}' {
			return template{}, fmt.Errorf("unmatched '}' at %q", rest[open:])
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return template{}, fmt.Errorf("unclosed '{' at %q", rest[open:])
		}
		name := rest[open+1 : open+end]
		if !contains(allowed, name) {
			return template{}, fmt.Errorf("unknown placeholder {%s} (allowed: %s)", name, placeholderList(allowed))
		}
		lit.WriteString(rest[:open])
		t.literals = append(t.literals, lit.String())
		lit.Reset()
		t.holes = append(t.holes, name)
		rest = rest[open+end+1:]
	}
	t.literals = append(t.literals, lit.String())
	return t, nil
}

func placeholderList(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "{" + n + "}"
	}
	return strings.Join(quoted, ", ")
}

// uses reports whether the template contains the placeholder.
func (t template) uses(name string) bool { return contains(t.holes, name) }

// expand substitutes each placeholder with escape(values[name]).
func (t template) expand(escape func(string) string, values map[string]string) string {
	var b strings.Builder
	for i, hole := range t.holes {
		b.WriteString(t.literals[i])
		b.WriteString(escape(values[hole]))
	}
	b.WriteString(t.literals[len(t.literals)-1])
	return b.String()
}

func (t template) isZero() bool { return len(t.literals) == 0 }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
