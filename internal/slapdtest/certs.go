package slapdtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// tlsMaterial is generated per server so no key ever lives in the repository.
type tlsMaterial struct {
	caPEM, serverCertPEM, serverKeyPEM, wrongCAPEM []byte
}

// certValidity is long enough for a demo left running for days.
const certValidity = 90 * 24 * time.Hour

// newTLSMaterial makes a CA, a server certificate for 127.0.0.1 and
// localhost signed by it, and a second, unrelated CA for wrong-CA tests.
func newTLSMaterial() (*tlsMaterial, error) {
	now := time.Now()
	caCert, caKey, caPEM, err := newCA("slapdtest CA", now)
	if err != nil {
		return nil, err
	}
	_, _, wrongPEM, err := newCA("slapdtest unrelated CA", now)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: "127.0.0.1", Organization: []string{"slapdtest"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("server certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &tlsMaterial{
		caPEM:         caPEM,
		serverCertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		serverKeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		wrongCAPEM:    wrongPEM,
	}, nil
}

func newCA(name string, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"slapdtest"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("CA %q: %w", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, nil, err
	}
	return cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil || n.Sign() == 0 {
		// crypto/rand does not fail on Linux; a fixed serial is still valid.
		return big.NewInt(time.Now().UnixNano())
	}
	return n
}

// tlsFiles are the paths slapd.conf and clients use.
type tlsFiles struct {
	ca, cert, key, wrongCA string
}

func (m *tlsMaterial) write(dir string) (tlsFiles, error) {
	f := tlsFiles{
		ca:      filepath.Join(dir, "ca.pem"),
		cert:    filepath.Join(dir, "server.pem"),
		key:     filepath.Join(dir, "server-key.pem"),
		wrongCA: filepath.Join(dir, "wrong-ca.pem"),
	}
	for _, w := range []struct {
		path string
		data []byte
		mode os.FileMode
	}{
		{f.ca, m.caPEM, 0o644},
		{f.cert, m.serverCertPEM, 0o644},
		{f.key, m.serverKeyPEM, 0o600},
		{f.wrongCA, m.wrongCAPEM, 0o644},
	} {
		if err := os.WriteFile(w.path, w.data, w.mode); err != nil {
			return tlsFiles{}, err
		}
	}
	return f, nil
}
