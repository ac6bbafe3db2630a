package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// TestCAFileReplacedOnReload: an ldaps API whose tls_ca_file holds slapd's
// CA works; after the file's content is replaced with an unrelated CA, the
// next gateway reload (new definition objects, same config_data) makes
// requests fail with 503, the TLS handshake being refused, even for a user
// whose success was cached before; with the right CA back and another
// reload, users get in again.
func TestCAFileReplacedOnReload(t *testing.T) {
	e := newEnv(t)
	caFile := filepath.Join(t.TempDir(), "directory-ca.pem")
	writeCA := func(pem []byte) {
		t.Helper()
		if err := os.WriteFile(caFile, pem, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeCA(e.ldap.CAPEM())
	cfg := e.direct("urls", e.ldap.LDAPSURL(), "tls_ca_file", caFile)
	ids := map[flavour]string{classic: "ca-reload-classic", tykOAS: "ca-reload-oas"}
	e.load(e.api(classic, ids[classic], cfg), e.api(tykOAS, ids[tykOAS], cfg))
	for _, f := range flavours {
		checkGranted(t, e.as(ids[f], "alice", "alice-pass-1"), "alice")
	}

	writeCA(e.ldap.WrongCAPEM())
	mark := gatewayLog.mark()
	if err := e.host.Reload(); err != nil {
		t.Fatal(err)
	}
	for _, f := range flavours {
		t.Run(string(f)+"/wrong CA", func(t *testing.T) {
			for _, u := range [][2]string{{"alice", "alice-pass-1"}, {"bob", "bob-pass-1"}} {
				c := e.counts()
				checkDenial(t, e.as(ids[f], u[0], u[1]), http.StatusServiceUnavailable, msgUnavailable, "")
				if d := e.counts().Sub(c); d.Binds != 0 {
					t.Errorf("%s: %d binds reached slapd through a connection the CA file no longer trusts", u[0], d.Binds)
				}
			}
			if lines := logLines(gatewayLog.since(mark), "api_id="+ids[f]+" ", "TLS handshake"); len(lines) == 0 {
				t.Errorf("no log line of %s names the failed TLS handshake", ids[f])
			}
		})
	}

	writeCA(e.ldap.CAPEM())
	if err := e.host.Reload(); err != nil {
		t.Fatal(err)
	}
	for _, f := range flavours {
		t.Run(string(f)+"/right CA again", func(t *testing.T) {
			checkGranted(t, e.as(ids[f], "carol", "carol-pass-1"), "carol")
			checkGranted(t, e.as(ids[f], "bob", "bob-pass-1"), "bob")
		})
	}
}
