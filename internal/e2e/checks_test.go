package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// The error texts of the plugin's JSON bodies (ldapauth/response.go). Tyk's
// own token auth uses the same text as msgForbidden.
const (
	msgMissing       = "Authorization field missing"
	msgMalformed     = "Attempted access with malformed header, header not in basic auth format"
	msgInvalid       = "Invalid username or password"
	msgForbidden     = "Access to this API has been disallowed"
	msgThrottled     = "Too many failed login attempts for this user, try again later"
	msgUnavailable   = "Authentication service unavailable, try again later"
	msgMisconfigured = "Authentication is misconfigured for this API"
)

func challenge(realm string) string {
	return `Basic realm="` + realm + `", charset="UTF-8"`
}

// checkDenial asserts a JSON error answer written by the plugin: status,
// Content-Type, body {"error": msg}, and the WWW-Authenticate header
// (exactly one, equal to wantChallenge; none when wantChallenge is empty).
// A denial never reaches the upstream.
func checkDenial(t *testing.T, r reply, status int, msg, wantChallenge string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d (body %q)", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var body map[string]string
	if err := json.Unmarshal([]byte(r.body), &body); err != nil || len(body) != 1 || body["error"] != msg {
		t.Errorf("body %q, want JSON {\"error\": %q}", r.body, msg)
	}
	got := r.header.Values("Www-Authenticate")
	switch {
	case wantChallenge == "" && len(got) != 0:
		t.Errorf("WWW-Authenticate %q on a %d, want none", got, status)
	case wantChallenge != "" && (len(got) != 1 || got[0] != wantChallenge):
		t.Errorf("WWW-Authenticate %q, want exactly %q", got, wantChallenge)
	}
	if r.seen != nil {
		t.Errorf("a %d reached the upstream", status)
	}
}

// checkGranted asserts the request reached the upstream as user.
func checkGranted(t *testing.T, r reply, user string) {
	t.Helper()
	if r.status != http.StatusOK || r.seen == nil {
		t.Fatalf("status %d body %q, want 200 from the upstream", r.status, r.body)
	}
	if got := r.seen.Header.Values("X-Authenticated-User"); len(got) != 1 || got[0] != user {
		t.Fatalf("upstream saw X-Authenticated-User %q, want exactly %q", got, user)
	}
}

// logLines returns the lines of text that contain every one of parts.
func logLines(text string, parts ...string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		ok := line != ""
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			out = append(out, line)
		}
	}
	return out
}
