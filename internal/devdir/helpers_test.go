package devdir

import (
	"net/http"
	"os"
	"testing"

	"github.com/TykTechnologies/tyk/apidef"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/e2e/e2etest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
)

// TestMain fails the run if the gateway (or the plugin through it) logged a
// password of the sample directory, or a panic.
func TestMain(m *testing.M) {
	secrets := []string{slapdtest.ServiceAccountPassword}
	for _, u := range slapdtest.SampleUsers() {
		secrets = append(secrets, u.Password)
	}
	os.Exit(e2etest.RunLogChecked(m, secrets))
}

// startDevT starts a development directory for a test and stops it in
// t.Cleanup. It fails (never skips) when a package is missing; the error
// carries the apt-get line.
func startDevT(t *testing.T, opts Options) *Dev {
	t.Helper()
	d, err := Start(opts)
	if err != nil {
		t.Fatalf("devdir: cannot start: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Stop(); err != nil {
			t.Errorf("devdir: stop: %v", err)
		}
	})
	return d
}

// gateway is the contract host with the real plugin .so serving
// GatewayAPIs in front of an echoing upstream.
type gateway struct{ *e2etest.Gateway }

func newGateway(t *testing.T, ldap *slapdtest.Server) *gateway {
	t.Helper()
	g := e2etest.NewGateway(t, "../../plugin", tykhost.Options{})
	var apis tykhost.APIs
	for _, a := range GatewayAPIs(ldap, g.Upstream.URL, g.Plugin) {
		// Through JSON, as the demo gateway reads them from files.
		var d apidef.APIDefinition
		e2etest.JSONRoundTrip(t, a.Definition, &d)
		apis.Classic = append(apis.Classic, &d)
	}
	g.Load(apis)
	return &gateway{g}
}

// For returns a copy of g whose checks report to t (a subtest's).
func (g *gateway) For(t *testing.T) *gateway { return &gateway{g.Gateway.For(t)} }

// expect checks one request's status and, for a 200, the user the
// upstream was told about; seen is nil unless the request reached the
// upstream.
func (g *gateway) expect(path, user, password string, want int) (seen *e2etest.Seen) {
	g.T.Helper()
	r := g.Do(path, http.Header{"Authorization": {e2etest.Basic(user, password)}})
	if r.Status != want {
		g.T.Fatalf("GET %s as %s: %d, want %d (body %q)", path, user, r.Status, want, r.Body)
	}
	if r.Status == http.StatusOK {
		e2etest.CheckGranted(g.T, r, user)
		if r.Seen.Header.Get("Authorization") != "" {
			g.T.Fatalf("GET %s: the upstream saw the Authorization header", path)
		}
	}
	return r.Seen
}
