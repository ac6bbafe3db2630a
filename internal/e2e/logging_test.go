package e2e

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// TestLogging runs good and bad requests, with the service account's
// password coming from env://, with the gateway log at debug level, and
// checks the log: one decision line per request with the right outcome,
// and nowhere a password or a Basic credentials value.
func TestLogging(t *testing.T) {
	e := newEnv(t)
	const envPassword = "Svc-Env-Secret-e2e-7"
	t.Setenv("E2E_LOG_BIND_PASSWORD", envPassword)
	// The service account gets a password that exists only in the
	// environment, so finding it in the log can only mean a leak.
	if err := e.ldap.SetPassword(slapdtest.ServiceAccountDN, envPassword); err != nil {
		t.Fatal(err)
	}
	mark := gatewayLog.mark()
	e.load(
		e.api(classic, "log-direct", e.direct()),
		e.api(tykOAS, "log-search", e.search("bind_password", "env://E2E_LOG_BIND_PASSWORD")),
	)

	type request struct {
		user, pass string // user "" sends no credentials
		status     int
	}
	requests := []request{
		{"alice", "alice-pass-1", 200},
		{"alice", "alice-pass-1", 200}, // cached
		{"alice", "Wr0ng-Secret-e2e-1", 401},
		{"bob", "bob-pass-1", 200},
		{"dave", "dave:pass word", 200},
		{"carol", "Wr0ng:Secret e2e-2", 401},
		{"nobody", "N0body-Secret-e2e-3", 401},
		{"Alice", "alice-pass-1", 200},
		{"", "", 401},
	}
	secrets := []string{envPassword}
	outcomes := map[string]map[string]int{}
	for _, api := range []string{"log-direct", "log-search"} {
		outcomes[api] = map[string]int{}
		for _, rq := range requests {
			h := http.Header{}
			if rq.user != "" {
				v := basic(rq.user, rq.pass)
				h.Set("Authorization", v)
				secrets = append(secrets, rq.pass, strings.TrimPrefix(v, "Basic "))
			}
			if r := e.do("/"+api+"/", h); r.status != rq.status {
				t.Fatalf("%s %s: status %d, want %d", api, rq.user, r.status, rq.status)
			}
			outcome := "granted"
			if rq.status == 401 {
				outcome = "unauthorized"
			}
			outcomes[api][outcome]++
		}
	}
	logged := gatewayLog.since(mark)

	for _, s := range secrets {
		if strings.Contains(logged, s) {
			t.Errorf("the log contains the secret %q", s)
		}
	}
	// Also the base64 of each password alone, and "Basic " followed by
	// anything: credentials in any encoded form.
	for _, s := range secrets {
		if b := base64.StdEncoding.EncodeToString([]byte(s)); len(s) > 4 && strings.Contains(logged, b) {
			t.Errorf("the log contains base64 of a secret: %q", b)
		}
	}
	if strings.Contains(logged, "Basic ") {
		t.Errorf("the log contains a Basic credentials value:\n%s", strings.Join(logLines(logged, "Basic "), "\n"))
	}

	for api, want := range outcomes {
		lines := logLines(logged, "msg=decision ", "api_id="+api+" ")
		if len(lines) != len(requests) {
			t.Errorf("%s: %d decision lines for %d requests:\n%s", api, len(lines), len(requests), strings.Join(lines, "\n"))
		}
		for outcome, n := range want {
			if got := len(logLines(logged, "msg=decision ", "api_id="+api+" ", "outcome="+outcome+" ")); got != n {
				t.Errorf("%s: %d decision lines with outcome=%s, want %d", api, got, outcome, n)
			}
		}
		for _, line := range lines {
			if !strings.Contains(line, "level=debug") {
				t.Errorf("decision line not at debug level: %s", line)
			}
		}
	}
}
