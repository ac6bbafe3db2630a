package testpki

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"testing"
)

func parseCert(t *testing.T, certPEM []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatal("certificate is not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestIssueServerVerifiesOnlyForItsNames(t *testing.T) {
	ca, err := NewCA("test CA", "testpki")
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewCA("other CA", "testpki")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ca.IssueServer(ServerNames{
		CommonName: "dc1.corp.example.org",
		IPs:        []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:   []string{"dc1.corp.example.org", "localhost"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tls.X509KeyPair(sc.CertPEM, sc.KeyPEM); err != nil {
		t.Fatalf("key does not match certificate: %v", err)
	}
	cert := parseCert(t, sc.CertPEM)
	if got := cert.Subject.Organization; len(got) != 1 || got[0] != "testpki" {
		t.Fatalf("organization %v, want the CA's", got)
	}
	tests := []struct {
		name, host string
		ca         *CA
		ok         bool
	}{
		{"ip", "127.0.0.1", ca, true},
		{"dns", "dc1.corp.example.org", ca, true},
		{"localhost", "localhost", ca, true},
		{"ip not listed", "::1", ca, false},
		{"name not listed", "corp.example.org", ca, false},
		{"unrelated CA", "127.0.0.1", other, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			roots := x509.NewCertPool()
			if !roots.AppendCertsFromPEM(tc.ca.PEM()) {
				t.Fatal("CA is not PEM")
			}
			_, err := cert.Verify(x509.VerifyOptions{DNSName: tc.host, Roots: roots,
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
			if (err == nil) != tc.ok {
				t.Fatalf("verify %s: %v, want ok=%v", tc.host, err, tc.ok)
			}
		})
	}
}

func TestCAIsACertificateAuthority(t *testing.T) {
	ca, err := NewCA("test CA", "testpki")
	if err != nil {
		t.Fatal(err)
	}
	c := parseCert(t, ca.PEM())
	if !c.IsCA || c.KeyUsage&x509.KeyUsageCertSign == 0 || c.Subject.CommonName != "test CA" {
		t.Fatalf("CA certificate: IsCA=%v usage=%v cn=%q", c.IsCA, c.KeyUsage, c.Subject.CommonName)
	}
	if !c.Equal(ca.Certificate()) {
		t.Fatal("Certificate() differs from PEM()")
	}
	again, err := NewCA("test CA", "testpki")
	if err != nil {
		t.Fatal(err)
	}
	if c.SerialNumber.Cmp(again.Certificate().SerialNumber) == 0 {
		t.Fatal("two CAs share a serial number")
	}
}

func TestIssueServerNeedsAName(t *testing.T) {
	ca, err := NewCA("test CA", "testpki")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.IssueServer(ServerNames{CommonName: "only-a-cn"}); err == nil {
		t.Fatal("a certificate without subjectAltName was issued (Go clients would reject it)")
	}
}

func TestWriteFiles(t *testing.T) {
	ca, err := NewCA("test CA", "testpki")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ca.IssueServer(ServerNames{IPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f, err := WriteFiles(dir, ca, sc)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path    string
		want    []byte
		private bool
	}{
		{f.CA, ca.PEM(), false},
		{f.Cert, sc.CertPEM, false},
		{f.Key, sc.KeyPEM, true},
	}
	for _, tc := range tests {
		b, err := os.ReadFile(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != string(tc.want) {
			t.Fatalf("%s: wrong content", tc.path)
		}
		fi, err := os.Stat(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if tc.private && fi.Mode().Perm()&0o077 != 0 {
			t.Fatalf("%s: mode %v, others may read the key", tc.path, fi.Mode().Perm())
		}
	}
}
