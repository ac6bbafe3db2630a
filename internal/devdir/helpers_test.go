package devdir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/log"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost/plugintest"
)

// gatewayLog keeps everything the gateway (and the plugin through it)
// logs during the test process; TestMain fails the run if it holds a
// password.
var gatewayLog = &syncBuffer{}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestMain(m *testing.M) {
	log.Get().SetOutput(gatewayLog)
	code := m.Run()
	secrets := []string{slapdtest.ServiceAccountPassword}
	for _, u := range slapdtest.SampleUsers() {
		secrets = append(secrets, u.Password)
	}
	for _, s := range secrets {
		if strings.Contains(gatewayLog.String(), s) {
			fmt.Fprintf(os.Stderr, "FAIL: the gateway log of this run contains the password %q\n", s)
			code = 1
		}
	}
	os.Exit(code)
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

// seenRequest is what reached the upstream, echoed back as JSON.
type seenRequest struct {
	Path   string      `json:"path"`
	Header http.Header `json:"header"`
}

// gateway is the contract host with the real plugin .so serving
// GatewayAPIs in front of an echoing upstream.
type gateway struct {
	t   *testing.T
	srv *httptest.Server
}

func newGateway(t *testing.T, ldap *slapdtest.Server) *gateway {
	t.Helper()
	so := plugintest.BuildPlugin(t, "../../plugin")
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := json.Marshal(seenRequest{Path: r.URL.Path, Header: r.Header})
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}))
	t.Cleanup(up.Close)

	var apis tykhost.APIs
	for _, a := range GatewayAPIs(ldap, up.URL, so) {
		// Through JSON, as the demo gateway reads them from files.
		b, err := json.Marshal(a.Definition)
		if err != nil {
			t.Fatal(err)
		}
		var d apidef.APIDefinition
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", a.File, err)
		}
		apis.Classic = append(apis.Classic, &d)
	}
	host := tykhost.New(tykhost.Options{})
	if err := host.Load(apis); err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, d := range apis.Classic {
		if err := host.PluginError(d.APIID); err != nil {
			t.Fatalf("the plugin did not load for %s: %v", d.APIID, err)
		}
	}
	g := &gateway{t: t, srv: httptest.NewServer(host)}
	t.Cleanup(g.srv.Close)
	return g
}

// get sends GET path with Basic credentials; seen is nil unless the
// request reached the upstream.
func (g *gateway) get(path, user, password string) (status int, seen *seenRequest) {
	g.t.Helper()
	req, err := http.NewRequest(http.MethodGet, g.srv.URL+path, nil)
	if err != nil {
		g.t.Fatal(err)
	}
	req.SetBasicAuth(user, password)
	resp, err := g.srv.Client().Do(req)
	if err != nil {
		g.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		g.t.Fatal(err)
	}
	if resp.StatusCode == http.StatusOK {
		seen = &seenRequest{}
		if err := json.Unmarshal(body, seen); err != nil {
			g.t.Fatalf("GET %s: 200 without the upstream's echo: %q", path, body)
		}
	}
	return resp.StatusCode, seen
}

// expect checks one request's status and, for a 200, the user the
// upstream was told about.
func (g *gateway) expect(path, user, password string, want int) *seenRequest {
	g.t.Helper()
	status, seen := g.get(path, user, password)
	if status != want {
		g.t.Fatalf("GET %s as %s: %d, want %d", path, user, status, want)
	}
	if seen != nil {
		if got := seen.Header.Get("X-Authenticated-User"); got != user {
			g.t.Fatalf("GET %s as %s: the upstream saw X-Authenticated-User %q", path, user, got)
		}
		if seen.Header.Get("Authorization") != "" {
			g.t.Fatalf("GET %s: the upstream saw the Authorization header", path)
		}
	}
	return seen
}
