package check

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// TestFrozenServerAdvice: against a real slapd stopped with SIGSTOP, the
// check says what the gateway logs, "no answer ... within dial_timeout"
// or "request_timeout", and gives no certificate advice; the reason it
// reports is the gateway's own log line.
func TestFrozenServerAdvice(t *testing.T) {
	srv := slapdtest.StartT(t)
	alice, _ := slapdtest.SampleUserByKey("ALICE")
	for _, tc := range []struct {
		name     string
		extra    map[string]any
		wantStep string
		want     string
	}{
		{"ldaps", map[string]any{"urls": []any{srv.LDAPSURL()}, "tls_ca_file": srv.CAFile()}, "tls",
			"no answer from " + srv.LDAPSURL() + " within dial_timeout (400ms) during the TLS handshake (server frozen or a firewall dropping packets)"},
		{"StartTLS", map[string]any{"start_tls": true, "tls_ca_file": srv.CAFile()}, "starttls",
			"no answer from " + srv.URL() + " within dial_timeout (400ms) during StartTLS (server frozen or a firewall dropping packets)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := searchConfig(srv, merge(map[string]any{"dial_timeout": "400ms", "request_timeout": "600ms"}, tc.extra))
			data, err := json.Marshal(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := srv.Freeze(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := srv.Thaw(); err != nil {
					t.Fatal(err)
				}
			}()
			r := Run(Options{File: "frozen.json", Data: data, Username: "alice", Password: alice.Password})
			var text bytes.Buffer
			if err := r.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if r.Verdict.Status != 503 || r.Verdict.Step != tc.wantStep {
				t.Fatalf("verdict %+v, want 503 from %s\n%s", r.Verdict, tc.wantStep, text.String())
			}
			if !strings.Contains(r.Verdict.Advice, tc.want) {
				t.Errorf("advice %q lacks %q", r.Verdict.Advice, tc.want)
			}
			for _, never := range []string{"tls_ca_file", "tls_server_name", "CA"} {
				if strings.Contains(r.Verdict.Advice, never) {
					t.Errorf("advice talks about %s: %q", never, r.Verdict.Advice)
				}
			}
			// The gateway's log line, captured by the check, gives the same diagnosis.
			logged := false
			for _, l := range r.Log {
				if strings.Contains(l.Attrs["error"]+l.Attrs["reason"], tc.want) {
					logged = true
				}
			}
			if !logged {
				t.Errorf("no gateway log line says %q:\n%s", tc.want, text.String())
			}
		})
	}
}
