package e2e

import (
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/e2e/e2etest"
)

// The error texts of the plugin's JSON bodies (ldapauth/response.go).
const (
	msgMissing       = e2etest.MsgMissing
	msgMalformed     = e2etest.MsgMalformed
	msgInvalid       = e2etest.MsgInvalid
	msgForbidden     = e2etest.MsgForbidden
	msgThrottled     = e2etest.MsgThrottled
	msgUnavailable   = e2etest.MsgUnavailable
	msgMisconfigured = e2etest.MsgMisconfigured
)

func challenge(realm string) string { return e2etest.Challenge(realm) }

// checkDenial asserts a JSON error answer written by the plugin (see
// e2etest.CheckDenial).
func checkDenial(t *testing.T, r reply, status int, msg, wantChallenge string) {
	t.Helper()
	e2etest.CheckDenial(t, r.export(), status, msg, wantChallenge)
}

// checkGranted asserts the request reached the upstream as user.
func checkGranted(t *testing.T, r reply, user string) {
	t.Helper()
	e2etest.CheckGranted(t, r.export(), user)
}

// checkRetryAfter asserts a Retry-After of whole seconds in 1..limit.
func checkRetryAfter(t *testing.T, r reply, limit time.Duration) {
	t.Helper()
	e2etest.RetryAfter(t, r.export(), limit)
}

// logLines returns the lines of text that contain every one of parts.
func logLines(text string, parts ...string) []string { return e2etest.LogLines(text, parts...) }
