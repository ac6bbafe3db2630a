// Package testpki generates the TLS material of the test bed's servers: a
// throw-away CA and server certificates it signs, with the subjectAltNames
// Go's verifier needs (it ignores the Common Name). Nothing is ever read
// from or written to the repository: every server gets fresh keys.
package testpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Validity of every certificate: long enough for a demo left running for
// days.
const Validity = 90 * 24 * time.Hour

// CA is a self-signed certificate authority (ECDSA P-256).
type CA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

// NewCA makes a CA named name; organization is written into its subject
// (and into every certificate it issues) so a certificate says which
// harness made it.
func NewCA(name, organization string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: name, Organization: []string{organization}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(Validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("testpki: CA %q: %w", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// PEM is the CA certificate, PEM-encoded (a fresh copy).
func (ca *CA) PEM() []byte { return append([]byte(nil), ca.pem...) }

// Certificate is the parsed CA certificate.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// ServerNames are the identities a server certificate is valid for.
type ServerNames struct {
	// CommonName is informational (Go ignores it for verification).
	CommonName string
	IPs        []net.IP
	DNSNames   []string
}

// ServerCert is a certificate (a server's, or a client's from
// IssueClient) and its private key, both PEM.
type ServerCert struct {
	CertPEM []byte
	// KeyPEM is the PKCS#8 private key ("PRIVATE KEY"), which both GnuTLS
	// (slapd, samba) and crypto/tls read.
	KeyPEM []byte
}

// IssueServer signs a TLS server certificate (ECDSA P-256, extended key
// usage serverAuth) for names.
func (ca *CA) IssueServer(names ServerNames) (ServerCert, error) {
	if len(names.IPs) == 0 && len(names.DNSNames) == 0 {
		return ServerCert{}, errors.New("testpki: a server certificate needs at least one IP or DNS name")
	}
	return ca.issue(&x509.Certificate{
		Subject:     pkix.Name{CommonName: names.CommonName, Organization: ca.cert.Subject.Organization},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: names.IPs,
		DNSNames:    names.DNSNames,
	})
}

// IssueClient signs a TLS client certificate (ECDSA P-256, extended key
// usage clientAuth) named commonName.
func (ca *CA) IssueClient(commonName string) (ServerCert, error) {
	return ca.issue(&x509.Certificate{
		Subject:     pkix.Name{CommonName: commonName, Organization: ca.cert.Subject.Organization},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
}

// issue completes tmpl (serial, validity, key usage) and signs it.
func (ca *CA) issue(tmpl *x509.Certificate) (ServerCert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return ServerCert{}, err
	}
	now := time.Now()
	tmpl.SerialNumber = randomSerial()
	tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(Validity)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return ServerCert{}, fmt.Errorf("testpki: certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return ServerCert{}, err
	}
	return ServerCert{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

// Files are the paths WriteFiles wrote.
type Files struct {
	CA, Cert, Key string
}

// WriteFiles writes the CA certificate (ca.pem), the server certificate
// (server.pem) and its key (server-key.pem, mode 0600: samba refuses a key
// file others can read) into dir.
func WriteFiles(dir string, ca *CA, sc ServerCert) (Files, error) {
	f := Files{
		CA:   filepath.Join(dir, "ca.pem"),
		Cert: filepath.Join(dir, "server.pem"),
		Key:  filepath.Join(dir, "server-key.pem"),
	}
	for _, w := range []struct {
		path string
		data []byte
		mode os.FileMode
	}{
		{f.CA, ca.pem, 0o644},
		{f.Cert, sc.CertPEM, 0o644},
		{f.Key, sc.KeyPEM, 0o600},
	} {
		if err := os.WriteFile(w.path, w.data, w.mode); err != nil {
			return Files{}, err
		}
	}
	return f, nil
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil || n.Sign() == 0 {
		// crypto/rand does not fail on Linux; a time-based serial is still
		// valid (and unique enough for a throw-away CA).
		return big.NewInt(time.Now().UnixNano())
	}
	return n
}
