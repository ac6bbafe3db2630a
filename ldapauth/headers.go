package ldapauth

import (
	"net/http"
	"slices"
	"strings"
)

// removeIdentityHeaders deletes every client-sent copy of the identity
// headers: the canonical name, and any spelling that differs only in case
// or in '_' for '-' (Go does not canonicalise names with underscores, and
// CGI-style upstreams such as PHP-FPM, WSGI and Rack read
// X_Authenticated_User and X-Authenticated-User as the same variable).
func removeIdentityHeaders(h http.Header, names []string) {
	for _, name := range names {
		delete(h, name)
	}
	for key := range h {
		if strings.IndexByte(key, '_') < 0 {
			continue // every other spelling was canonicalised by net/http
		}
		if slices.ContainsFunc(names, func(name string) bool { return sameHeaderName(key, name) }) {
			delete(h, key)
		}
	}
}

// sameHeaderName compares header names ignoring ASCII case and treating
// '_' and '-' as equal.
func sameHeaderName(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if foldHeaderByte(a[i]) != foldHeaderByte(b[i]) {
			return false
		}
	}
	return true
}

func foldHeaderByte(c byte) byte {
	switch {
	case 'A' <= c && c <= 'Z':
		return c + 'a' - 'A'
	case c == '_':
		return '-'
	}
	return c
}

// dropConnectionTokens removes names from the Connection header's
// comma-separated tokens, which a proxy treats as headers to delete before
// forwarding. A Connection header left without tokens is removed.
func dropConnectionTokens(h http.Header, names []string) {
	var kept []string
	for _, value := range h["Connection"] {
		var tokens []string
		for _, tok := range strings.Split(value, ",") {
			tok = strings.TrimSpace(tok)
			if tok == "" || slices.ContainsFunc(names, func(name string) bool { return sameHeaderName(tok, name) }) {
				continue
			}
			tokens = append(tokens, tok)
		}
		if len(tokens) > 0 {
			kept = append(kept, strings.Join(tokens, ", "))
		}
	}
	if len(kept) == 0 {
		delete(h, "Connection")
		return
	}
	h["Connection"] = kept
}
