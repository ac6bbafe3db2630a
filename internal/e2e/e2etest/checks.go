package e2etest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The error texts of the plugin's JSON bodies (ldapauth/response.go). Tyk's
// own token auth uses the same text as MsgForbidden.
const (
	MsgMissing       = "Authorization field missing"
	MsgMalformed     = "Attempted access with malformed header, header not in basic auth format"
	MsgInvalid       = "Invalid username or password"
	MsgForbidden     = "Access to this API has been disallowed"
	MsgThrottled     = "Too many failed login attempts for this user, try again later"
	MsgUnavailable   = "Authentication service unavailable, try again later"
	MsgMisconfigured = "Authentication is misconfigured for this API"
)

// Challenge is the WWW-Authenticate value the plugin sends for realm.
func Challenge(realm string) string {
	return `Basic realm="` + realm + `", charset="UTF-8"`
}

// CheckDenial asserts a JSON error answer written by the plugin: status,
// Content-Type, body {"error": msg}, and the WWW-Authenticate header
// (exactly one, equal to wantChallenge; none when wantChallenge is empty).
// A denial never reaches the upstream.
func CheckDenial(t testing.TB, r Reply, status int, msg, wantChallenge string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d (body %q)", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var body map[string]string
	if err := json.Unmarshal([]byte(r.Body), &body); err != nil || len(body) != 1 || body["error"] != msg {
		t.Errorf("body %q, want JSON {\"error\": %q}", r.Body, msg)
	}
	got := r.Header.Values("Www-Authenticate")
	switch {
	case wantChallenge == "" && len(got) != 0:
		t.Errorf("WWW-Authenticate %q on a %d, want none", got, status)
	case wantChallenge != "" && (len(got) != 1 || got[0] != wantChallenge):
		t.Errorf("WWW-Authenticate %q, want exactly %q", got, wantChallenge)
	}
	if r.Seen != nil {
		t.Errorf("a %d reached the upstream", status)
	}
}

// CheckGranted asserts the request reached the upstream as user (the
// plugin's default X-Authenticated-User header).
func CheckGranted(t testing.TB, r Reply, user string) {
	t.Helper()
	if r.Status != http.StatusOK || r.Seen == nil {
		t.Fatalf("status %d body %q, want 200 from the upstream", r.Status, r.Body)
	}
	if got := r.Seen.Header.Values("X-Authenticated-User"); len(got) != 1 || got[0] != user {
		t.Fatalf("upstream saw X-Authenticated-User %q, want exactly %q", got, user)
	}
}

// RetryAfter returns the answer's Retry-After in seconds, failing the test
// unless it is exactly one value of 1 to max.
func RetryAfter(t testing.TB, r Reply, max time.Duration) time.Duration {
	t.Helper()
	v := r.Header.Values("Retry-After")
	secs, err := 0, error(nil)
	if len(v) == 1 {
		secs, err = strconv.Atoi(v[0])
	}
	if len(v) != 1 || err != nil || secs < 1 || time.Duration(secs)*time.Second > max {
		t.Fatalf("Retry-After %q on a %d, want one value of 1..%d seconds", v, r.Status, int(max/time.Second))
	}
	return time.Duration(secs) * time.Second
}

// LogLines returns the lines of text that contain every one of parts.
func LogLines(text string, parts ...string) []string {
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

// ExpectStatus polls status(api) for every API until it answers one of
// want, failing if any takes longer than limit (counted from the start,
// for all APIs together). It logs how long they took.
func ExpectStatus(t testing.TB, apis []string, want []int, limit time.Duration, status func(api string) int) {
	t.Helper()
	start := time.Now()
	for _, api := range apis {
		for {
			got := status(api)
			if slices.Contains(want, got) {
				break
			}
			if time.Since(start) > limit {
				t.Fatalf("%s still answered %d after %v, want one of %v", api, got, limit, want)
			}
			time.Sleep(20 * time.Millisecond) // polling for the outcome
		}
	}
	t.Logf("all answered one of %v within %v", want, time.Since(start).Round(time.Millisecond))
}
