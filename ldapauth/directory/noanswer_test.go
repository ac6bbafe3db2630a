package directory

import (
	"strings"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// TestNoAnswerIsNotACertificateProblem stops a real slapd with SIGSTOP (the
// kernel still accepts connections, nothing answers: what a frozen server
// or a firewall dropping packets looks like) and checks that every way of
// running out of time is reported as "no answer within dial_timeout or
// request_timeout", never as certificate trouble; and that certificate
// errors and a port without TLS still get their own reasons.
func TestNoAnswerIsNotACertificateProblem(t *testing.T) {
	srv := slapdtest.StartT(t)
	ca, wrongCA := caPool(t, srv.CAPEM()), caPool(t, srv.WrongCAPEM())
	ldaps := func(o *Options) { o.Servers, o.TLS.RootCAs = []Server{mustServer(t, srv.LDAPSURL())}, ca }
	for _, tc := range []struct {
		name   string
		change func(*Options)
		frozen bool
		warm   bool // authenticate once first, so the request reuses a pooled connection
		want   []string
		never  []string
	}{
		{"ldaps handshake, frozen", ldaps, true, false,
			[]string{"no answer from " + srv.LDAPSURL() + " within dial_timeout (500ms) during the TLS handshake", "server frozen or a firewall dropping packets"},
			[]string{"tls_ca_file", "certificate"}},
		{"StartTLS, frozen", func(o *Options) { o.StartTLS, o.TLS.RootCAs = true, ca }, true, false,
			[]string{"no answer from " + srv.URL() + " within dial_timeout (500ms) during StartTLS"},
			[]string{"tls_ca_file", "certificate"}},
		{"service-account bind, frozen", func(o *Options) { *o = fastTimeouts(searchOptions(t, srv)) }, true, false,
			[]string{"within dial_timeout (500ms) during"},
			[]string{"tls_ca_file", "certificate", "bind_password"}},
		{"pooled operation, frozen", ldaps, true, true,
			[]string{"no answer from " + srv.LDAPSURL() + " within"},
			[]string{"tls_ca_file", "certificate"}},
		{"ldaps, wrong CA", func(o *Options) { ldaps(o); o.TLS.RootCAs = wrongCA }, false, false,
			[]string{"the TLS handshake with " + srv.LDAPSURL() + " failed: the certificate was refused (check tls_ca_file/tls_ca_pem and tls_server_name)"},
			[]string{"no answer"}},
		{"StartTLS, wrong server name", func(o *Options) { o.StartTLS, o.TLS.RootCAs, o.TLS.ServerName = true, ca, "ldap.example.org" }, false, false,
			[]string{"StartTLS with " + srv.URL() + " failed: the certificate was refused"},
			[]string{"no answer"}},
		{"ldaps:// on the plain port", func(o *Options) {
			o.Servers, o.TLS.RootCAs = []Server{mustServer(t, "ldaps://"+srv.Addr())}, ca
		}, false, false,
			[]string{"failed (check that the server speaks TLS on this port)"},
			[]string{"tls_ca_file", "no answer"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := fastTimeouts(directOptions(t, srv))
			tc.change(&o)
			d := newDirectory(t, o)
			if tc.warm {
				mustAuthenticate(t, d, "alice", "alice-pass-1")
			}
			if tc.frozen {
				if err := srv.Freeze(); err != nil {
					t.Fatal(err)
				}
				defer func() {
					if err := srv.Thaw(); err != nil {
						t.Fatal(err)
					}
				}()
			}
			start := time.Now()
			_, err := authenticate(d, "alice", "alice-pass-1")
			if KindOf(err) != KindUnavailable {
				t.Fatalf("got %v after %v, want unavailable", err, time.Since(start))
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			for _, n := range tc.never {
				if strings.Contains(msg, n) {
					t.Errorf("error says %q:\n%s", n, msg)
				}
			}
		})
	}
}
