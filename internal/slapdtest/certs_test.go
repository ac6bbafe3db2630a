package slapdtest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"testing"
)

func TestTLSMaterial(t *testing.T) {
	m, err := newTLSMaterial()
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(m.serverCertPEM)
	if block == nil {
		t.Fatal("server certificate is not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tls.X509KeyPair(m.serverCertPEM, m.serverKeyPEM); err != nil {
		t.Fatalf("key does not match certificate: %v", err)
	}
	pool := func(p []byte) *x509.CertPool {
		cp := x509.NewCertPool()
		if !cp.AppendCertsFromPEM(p) {
			t.Fatal("CA is not PEM")
		}
		return cp
	}
	tests := []struct {
		name, host string
		roots      []byte
		ok         bool
	}{
		{"ip", "127.0.0.1", m.caPEM, true},
		{"localhost", "localhost", m.caPEM, true},
		{"ipv6 loopback", "::1", m.caPEM, true},
		{"other name", "ldap.example.org", m.caPEM, false},
		{"wrong CA", "127.0.0.1", m.wrongCAPEM, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cert.Verify(x509.VerifyOptions{DNSName: tc.host, Roots: pool(tc.roots),
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
			if (err == nil) != tc.ok {
				t.Fatalf("verify %s: %v, want ok=%v", tc.host, err, tc.ok)
			}
		})
	}
	if string(m.caPEM) == string(m.wrongCAPEM) {
		t.Fatal("the wrong CA is the CA")
	}
}

func TestSSHAHash(t *testing.T) {
	a, err := sshaHash("pw")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := sshaHash("pw")
	// {SSHA} + base64(20-byte SHA-1 + 8-byte salt) = 6 + 40 characters.
	if len(a) != 46 || a[:6] != "{SSHA}" || a == b {
		t.Fatalf("hashes %q %q: want salted {SSHA}", a, b)
	}
}
