package ldaptest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

func TestResultCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 0},
		{"an LDAP result", ldap.NewError(ldap.LDAPResultInvalidCredentials, errors.New("bad")), 49},
		{"a wrapped LDAP result", fmt.Errorf("bind: %w", ldap.NewError(ldap.LDAPResultBusy, errors.New("busy"))), 51},
		{"not LDAP", errors.New("connection reset"), -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ResultCode(tc.err); got != tc.want {
				t.Fatalf("ResultCode = %d, want %d", got, tc.want)
			}
		})
	}
}

// Every transport reaches a real slapd; the TLS ones refuse a server their
// configuration does not trust, and plain never negotiates TLS.
func TestDial(t *testing.T) {
	s := slapdtest.StartT(t)
	alice, _ := slapdtest.SampleUserByKey("ALICE")
	wrongPool := x509.NewCertPool()
	wrongPool.AppendCertsFromPEM(s.WrongCAPEM())
	wrongCA := &tls.Config{RootCAs: wrongPool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	for _, tr := range Transports {
		t.Run(string(tr), func(t *testing.T) {
			c, err := Dial(tr, s.URL(), s.LDAPSURL(), s.ClientTLSConfig(), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.Bind(alice.DN, alice.Password); err != nil {
				t.Fatalf("bind: %v", err)
			}
			if _, isTLS := c.TLSConnectionState(); isTLS != (tr != Plain) {
				t.Fatalf("TLS %v over %s", isTLS, tr)
			}
			wrong, err := Dial(tr, s.URL(), s.LDAPSURL(), wrongCA, 5*time.Second)
			if tr == Plain {
				if err != nil {
					t.Fatalf("plain does not use the TLS configuration, yet: %v", err)
				}
				wrong.Close()
				return
			}
			if err == nil {
				wrong.Close()
				t.Fatal("a server signed by another CA was trusted")
			}
		})
	}
	if _, err := Dial("carrier-pigeon", s.URL(), s.LDAPSURL(), s.ClientTLSConfig(), time.Second); err == nil {
		t.Fatal("an unknown transport dialled")
	}
}
