package check

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
)

// Substitution is what the gateway's env:// substitution did to a file.
// It holds variable names only, never their values.
type Substitution struct {
	// Replaced are the variables whose value replaced their env://NAME text.
	Replaced []string
	// Left are the env://NAME references left in place because the variable
	// is unset or empty; the plugin then resolves those in secret keys
	// itself and refuses them everywhere else.
	Left []string
	// Unsafe are replaced variables whose value holds a quote, a backslash
	// or a control character, which change or break the JSON around them.
	Unsafe []string
}

// gatewayEnvRef is the pattern Tyk's API definition loader substitutes:
// env:// followed by everything up to the next double quote.
var gatewayEnvRef = regexp.MustCompile(`env://([^"]+)`)

// SubstituteEnv applies the gateway's env:// rule to an API definition's
// text, as Tyk does when it loads definitions: every env://NAME up to the
// next double quote is replaced by the value of NAME when that value is not
// empty, as plain text without JSON escaping; otherwise it stays as
// written.
func SubstituteEnv(data []byte, getenv func(string) string) ([]byte, Substitution) {
	var sub Substitution
	if !bytes.Contains(data, []byte("env://")) {
		return data, sub
	}
	out := string(data)
	seen := map[string]bool{}
	for _, m := range gatewayEnvRef.FindAllStringSubmatch(string(data), -1) {
		ref, name := m[0], m[1]
		if seen[ref] {
			continue
		}
		seen[ref] = true
		value := getenv(name)
		if value == "" {
			sub.Left = appendOnce(sub.Left, name)
			continue
		}
		out = strings.ReplaceAll(out, ref, value)
		sub.Replaced = appendOnce(sub.Replaced, name)
		if strings.ContainsFunc(value, func(r rune) bool { return r == '"' || r == '\\' || r < 0x20 }) {
			sub.Unsafe = appendOnce(sub.Unsafe, name)
		}
	}
	return []byte(out), sub
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func joinNames(names []string) string {
	return strings.Join(names, ", ")
}
