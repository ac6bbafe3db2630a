package slapdtest

import (
	"net"
	"os"
	"path/filepath"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testpki"
)

// tlsMaterial is generated per server so no key ever lives in the repository.
type tlsMaterial struct {
	caPEM, serverCertPEM, serverKeyPEM, wrongCAPEM []byte
	ca                                             *testpki.CA
	server                                         testpki.ServerCert
}

// newTLSMaterial makes a CA, a server certificate for 127.0.0.1, ::1 and
// localhost signed by it, and a second, unrelated CA for wrong-CA tests.
func newTLSMaterial() (*tlsMaterial, error) {
	ca, err := testpki.NewCA("slapdtest CA", "slapdtest")
	if err != nil {
		return nil, err
	}
	wrong, err := testpki.NewCA("slapdtest unrelated CA", "slapdtest")
	if err != nil {
		return nil, err
	}
	sc, err := ca.IssueServer(testpki.ServerNames{
		CommonName: "127.0.0.1",
		IPs:        []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:   []string{"localhost"},
	})
	if err != nil {
		return nil, err
	}
	return &tlsMaterial{
		caPEM:         ca.PEM(),
		serverCertPEM: sc.CertPEM,
		serverKeyPEM:  sc.KeyPEM,
		wrongCAPEM:    wrong.PEM(),
		ca:            ca,
		server:        sc,
	}, nil
}

// tlsFiles are the paths slapd.conf and clients use.
type tlsFiles struct {
	ca, cert, key, wrongCA string
}

func (m *tlsMaterial) write(dir string) (tlsFiles, error) {
	f, err := testpki.WriteFiles(dir, m.ca, m.server)
	if err != nil {
		return tlsFiles{}, err
	}
	wrongCA := filepath.Join(dir, "wrong-ca.pem")
	if err := os.WriteFile(wrongCA, m.wrongCAPEM, 0o644); err != nil {
		return tlsFiles{}, err
	}
	return tlsFiles{ca: f.CA, cert: f.Cert, key: f.Key, wrongCA: wrongCA}, nil
}
