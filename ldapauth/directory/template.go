package directory

import (
	"fmt"
	"slices"
	"strings"
)

// A Template is configuration text with {placeholders}, compiled once so a
// request only pays for the substitution. The caller's escape function
// decides how each value is escaped for where it lands (a DN or a filter):
// the template never treats user input as safe.
type Template struct {
	literals []string // len(literals) == len(holes)+1
	holes    []string // placeholder names, e.g. "username"
}

// CompileTemplate parses text and accepts only the allowed placeholders. A
// stray or unknown brace is an error rather than literal text, because a
// typo like {usernme} would otherwise search for the literal string.
func CompileTemplate(text string, allowed ...string) (Template, error) {
	var t Template
	rest := text
	var lit strings.Builder
	for {
		open := strings.IndexAny(rest, "{}")
		if open < 0 {
			lit.WriteString(rest)
			break
		}
		if rest[open] == '}' {
			return Template{}, fmt.Errorf("unmatched '}' at %q", rest[open:])
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return Template{}, fmt.Errorf("unclosed '{' at %q", rest[open:])
		}
		name := rest[open+1 : open+end]
		if !slices.Contains(allowed, name) {
			return Template{}, fmt.Errorf("unknown placeholder {%s} (allowed: %s)", name, placeholderList(allowed))
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

// Uses reports whether the template contains the placeholder.
func (t Template) Uses(name string) bool { return slices.Contains(t.holes, name) }

// IsZero reports whether the template was never compiled.
func (t Template) IsZero() bool { return len(t.literals) == 0 }

// Expand substitutes each placeholder with escape(values[name]).
func (t Template) Expand(escape func(string) string, values map[string]string) string {
	var b strings.Builder
	for i, hole := range t.holes {
		b.WriteString(t.literals[i])
		b.WriteString(escape(values[hole]))
	}
	b.WriteString(t.literals[len(t.literals)-1])
	return b.String()
}

// soleEquality reports the attribute when the template is exactly
// "(attr={name})": a filter that matches on one attribute only.
func (t Template) soleEquality(name string) (attr string, ok bool) {
	if len(t.holes) != 1 || t.holes[0] != name || t.literals[1] != ")" {
		return "", false
	}
	head := t.literals[0]
	if !strings.HasPrefix(head, "(") || !strings.HasSuffix(head, "=") {
		return "", false
	}
	attr = head[1 : len(head)-1]
	if attr == "" || strings.ContainsAny(attr, "()=&|!*:~<> ") {
		return "", false
	}
	return attr, true
}
