package devdir

import (
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// TestGatewayAPIs: the demo gateway's APIs, loaded with the real plugin,
// against the whole sample directory (where test is in testgroup).
func TestGatewayAPIs(t *testing.T) {
	ldap := slapdtest.StartT(t)
	g := newGateway(t, ldap)
	test, _ := slapdtest.SampleUserByKey(TutorialUserKey)
	alice, _ := slapdtest.SampleUserByKey("ALICE")
	jsmith, _ := slapdtest.SampleUserByKey("JSMITH")
	twin, _ := slapdtest.SampleUserByKey("TWIN")
	tests := []struct {
		name, path, user, password string
		want                       int
	}{
		{"a member of testgroup", "/ldap-testgroup/", test.UID, test.Password, http.StatusOK},
		{"a user in no posixGroup", "/ldap-testgroup/", alice.UID, alice.Password, http.StatusForbidden},
		{"anyone under ou=people", "/ldap-ui/", alice.UID, alice.Password, http.StatusOK},
		{"an entry named by cn, found by uid", "/ldap-ui/", jsmith.UID, jsmith.Password, http.StatusOK},
		{"test on the open API", "/ldap-ui/", test.UID, test.Password, http.StatusOK},
		{"a wrong password", "/ldap-ui/", alice.UID, "not-her-password", http.StatusUnauthorized},
		{"nobody of that name", "/ldap-ui/", "nobody", "whatever-1", http.StatusUnauthorized},
		// The people twin is found once under ou=people: the contractor
		// twin lives elsewhere.
		{"the people twin", "/ldap-ui/", twin.UID, twin.Password, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seen := g.For(t).expect(tc.path, tc.user, tc.password, tc.want)
			if tc.path == "/ldap-testgroup/" && seen != nil {
				if got := seen.Header.Get("X-Authenticated-Groups"); got != TutorialGroup {
					t.Fatalf("X-Authenticated-Groups %q, want %q", got, TutorialGroup)
				}
			}
		})
	}
}

// TestGatewayAPIsSeeChangesAtOnce: the APIs cache nothing, so a change in
// the directory counts from the very next request, as it must for someone
// trying out the UI.
func TestGatewayAPIsSeeChangesAtOnce(t *testing.T) {
	ldap := slapdtest.StartT(t)
	g := newGateway(t, ldap)
	alice, _ := slapdtest.SampleUserByKey("ALICE")
	g.expect("/ldap-ui/", alice.UID, alice.Password, http.StatusOK)
	if err := ldap.SetPassword(alice.DN, "new-pass-2"); err != nil {
		t.Fatal(err)
	}
	g.expect("/ldap-ui/", alice.UID, alice.Password, http.StatusUnauthorized)
	g.expect("/ldap-ui/", alice.UID, "new-pass-2", http.StatusOK)

	g.expect("/ldap-testgroup/", alice.UID, "new-pass-2", http.StatusForbidden)
	if err := ldap.AddToGroup(slapdtest.TestGroupDN, alice.DN); err != nil {
		t.Fatal(err)
	}
	g.expect("/ldap-testgroup/", alice.UID, "new-pass-2", http.StatusOK)
}

func TestWriteGatewayAPIs(t *testing.T) {
	ldap := slapdtest.StartT(t)
	apis := GatewayAPIs(ldap, "http://127.0.0.1:9/", "/x/ldapauth.so")
	paths, err := WriteGatewayAPIs(t.TempDir(), apis)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != len(apis) {
		t.Fatalf("%d files for %d APIs", len(paths), len(apis))
	}
	for i, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600 (it holds the service account's password)", p, fi.Mode())
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var def struct {
			APIID string `json:"api_id"`
			Proxy struct {
				ListenPath string `json:"listen_path"`
			} `json:"proxy"`
			CustomMiddleware struct {
				AuthCheck struct{ Path string } `json:"auth_check"`
			} `json:"custom_middleware"`
		}
		if err := json.Unmarshal(b, &def); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if def.Proxy.ListenPath != apis[i].ListenPath || def.CustomMiddleware.AuthCheck.Path != "/x/ldapauth.so" || def.APIID == "" {
			t.Errorf("%s: %+v", p, def)
		}
	}
}
