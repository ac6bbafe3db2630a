package state

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/redistest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testpki"
)

// tlsGeneration is one CA with a server and a client certificate it
// signed, written under dir.
type tlsGeneration struct {
	ca, serverCert, serverKey, clientCert, clientKey string
}

func newTLSGeneration(t *testing.T, dir, name string) tlsGeneration {
	t.Helper()
	ca, err := testpki.NewCA("redis "+name, "tyk-ldap-auth state tests")
	if err != nil {
		t.Fatal(err)
	}
	server, err := ca.IssueServer(testpki.ServerNames{CommonName: "redis", IPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	client, err := ca.IssueClient("ldapauth")
	if err != nil {
		t.Fatal(err)
	}
	g := tlsGeneration{
		ca: filepath.Join(dir, name+"-ca.pem"), serverCert: filepath.Join(dir, name+"-server.pem"), serverKey: filepath.Join(dir, name+"-server-key.pem"),
		clientCert: filepath.Join(dir, name+"-client.pem"), clientKey: filepath.Join(dir, name+"-client-key.pem"),
	}
	for path, data := range map[string][]byte{g.ca: ca.PEM(), g.serverCert: server.CertPEM, g.serverKey: server.KeyPEM, g.clientCert: client.CertPEM, g.clientKey: client.KeyPEM} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return g
}

// replaceFile puts src's content at dst the way a rotation does: a new
// file renamed over the old one.
func replaceFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	tmp := dst + ".new"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
}

// A rotated Redis CA and client certificate are used from the next new
// connection on, by the same client: the files are read again when they
// change. Redis itself requires the client certificate, so both files
// matter.
func TestRedisTLSFilesRotate(t *testing.T) {
	dir := t.TempDir()
	old := newTLSGeneration(t, dir, "old")
	rds := redistest.StartT(t, redistest.WithTLS(redistest.TLSFiles{Cert: old.serverCert, Key: old.serverKey, ClientCA: old.ca}))

	// The client's files, at fixed paths.
	ca, cert, key := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")
	replaceFile(t, old.ca, ca)
	replaceFile(t, old.clientCert, cert)
	replaceFile(t, old.clientKey, key)
	client, err := NewRedisClient(RedisOptions{Addrs: []string{rds.TLSAddr()}, TLS: true, CAFile: ca, CertFile: cert, KeyFile: key}, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()
	if err := client.Ping(ctx).Err(); err != nil {
		t.Fatalf("before the rotation: %v", err)
	}

	rotated := newTLSGeneration(t, dir, "new")
	if _, err := rds.Do("CONFIG", "SET", "tls-cert-file", rotated.serverCert, "tls-key-file", rotated.serverKey, "tls-ca-cert-file", rotated.ca); err != nil {
		t.Fatalf("rotate the server: %v", err)
	}
	replaceFile(t, rotated.ca, ca)
	replaceFile(t, rotated.clientCert, cert)
	replaceFile(t, rotated.clientKey, key)
	// Close the client's connections from the server side: the next
	// commands dial, and handshake with the rotated material.
	_, _ = rds.Do("CLIENT", "KILL", "TYPE", "normal")
	var last error
	for range 5 {
		if last = client.Ping(ctx).Err(); last == nil {
			return
		}
	}
	t.Fatalf("after the rotation the client never connected again: %v", last)
}

// Verifying against the re-read CA still checks the server's name: a
// certificate from the right CA for another host is refused.
func TestRedisTLSChecksTheServerName(t *testing.T) {
	dir := t.TempDir()
	ca, err := testpki.NewCA("redis", "tyk-ldap-auth state tests")
	if err != nil {
		t.Fatal(err)
	}
	other, err := ca.IssueServer(testpki.ServerNames{CommonName: "elsewhere", DNSNames: []string{"elsewhere.example"}})
	if err != nil {
		t.Fatal(err)
	}
	files, err := testpki.WriteFiles(dir, ca, other)
	if err != nil {
		t.Fatal(err)
	}
	rds := redistest.StartT(t, redistest.WithTLS(redistest.TLSFiles{Cert: files.Cert, Key: files.Key}))
	client, err := NewRedisClient(RedisOptions{Addrs: []string{rds.TLSAddr()}, TLS: true, CAFile: files.CA}, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if err := client.Ping(context.Background()).Err(); err == nil {
		t.Fatal("a certificate for elsewhere.example was accepted for 127.0.0.1")
	}
}
