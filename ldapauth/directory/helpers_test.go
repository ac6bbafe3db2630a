package directory

import (
	"context"
	"crypto/x509"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/secret"
)

// One slapd serves every test that only reads the sample directory; tests
// that kill, freeze or modify a server start their own.
func sharedLDAP(t testing.TB) *slapdtest.Server { return slapdtest.Shared(t) }

func TestMain(m *testing.M) { slapdtest.Main(m) }

// The sample directory's layout, as the options below use it.
const (
	peopleTemplate     = "uid={username},ou=people,dc=example,dc=org"
	defaultFilter      = "(uid={username})"
	defaultGroupFilter = "(|(member={dn})(uniqueMember={dn})(memberUid={username}))"
)

func mustServer(t testing.TB, url string) Server {
	t.Helper()
	s, err := ParseServer(url)
	if err != nil {
		t.Fatalf("ParseServer(%q): %v", url, err)
	}
	return s
}

func mustTemplate(t testing.TB, text string, placeholders ...string) Template {
	t.Helper()
	tmpl, err := CompileTemplate(text, placeholders...)
	if err != nil {
		t.Fatalf("CompileTemplate(%q): %v", text, err)
	}
	return tmpl
}

func mustBindTemplate(t testing.TB, text string) BindTemplate {
	t.Helper()
	bt, err := ParseBindTemplate(text)
	if err != nil {
		t.Fatalf("ParseBindTemplate(%q): %v", text, err)
	}
	return bt
}

// directOptions binds users directly as uid={username},ou=people,... with
// no service account: the user's own entry is read as the user.
func directOptions(t testing.TB, srv *slapdtest.Server) Options {
	t.Helper()
	return Options{
		Servers:           []Server{mustServer(t, srv.URL())},
		BindTemplate:      mustBindTemplate(t, peopleTemplate),
		UsernameAttribute: "uid",
	}
}

// searchOptions finds users under the suffix with (uid={username}) as the
// sample service account, then binds as the entry found.
func searchOptions(t testing.TB, srv *slapdtest.Server) Options {
	t.Helper()
	return Options{
		Servers:           []Server{mustServer(t, srv.URL())},
		SearchBaseDN:      slapdtest.BaseDN,
		SearchFilter:      mustTemplate(t, defaultFilter, "username"),
		BindDN:            slapdtest.ServiceAccountDN,
		BindPassword:      secret.Value(slapdtest.ServiceAccountPassword),
		UsernameAttribute: "uid",
	}
}

// withServiceAccount makes a direct-bind configuration read entries and
// groups as the service account.
func withServiceAccount(o Options) Options {
	o.BindDN = slapdtest.ServiceAccountDN
	o.BindPassword = secret.Value(slapdtest.ServiceAccountPassword)
	return o
}

// strategies are the two ways of finding the account, for tests that must
// hold for both.
var strategies = []struct {
	name    string
	options func(testing.TB, *slapdtest.Server) Options
}{
	{"direct", directOptions},
	{"search", searchOptions},
}

// searchGroups reads groups by searching ou=groups with the default filter.
func searchGroups(t testing.TB) GroupOptions {
	t.Helper()
	return GroupOptions{
		Source:        GroupsFromSearch,
		BaseDN:        slapdtest.GroupsDN,
		Filter:        mustTemplate(t, defaultGroupFilter, "dn", "username"),
		NameAttribute: "cn",
	}
}

// fastTimeouts keeps outage tests short; the bounds they prove scale with
// the configured values.
func fastTimeouts(o Options) Options {
	o.DialTimeout = 500 * time.Millisecond
	o.RequestTimeout = time.Second
	return o
}

func newDirectory(t testing.TB, opts Options) *Directory {
	t.Helper()
	d, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(d.Close)
	return d
}

func authenticate(d *Directory, user, pass string) (*Identity, error) {
	return d.Authenticate(context.Background(), user, pass, nil)
}

func mustAuthenticate(t testing.TB, d *Directory, user, pass string) *Identity {
	t.Helper()
	id, err := authenticate(d, user, pass)
	if err != nil {
		t.Fatalf("Authenticate(%q): %v", user, err)
	}
	return id
}

func sampleUser(t testing.TB, key string) slapdtest.SampleUser {
	t.Helper()
	u, ok := slapdtest.SampleUserByKey(key)
	if !ok {
		t.Fatalf("no sample user %s", key)
	}
	return u
}

func counters(t testing.TB, srv *slapdtest.Server) slapdtest.Counts {
	t.Helper()
	c, err := srv.Counters()
	if err != nil {
		t.Fatalf("slapd counters: %v", err)
	}
	return c
}

// userBinds are the binds of a counter difference that are not the
// service account's (which every new service connection sends).
func userBinds(c slapdtest.Counts) map[string]int {
	out := map[string]int{}
	for dn, n := range c.BindsByDN {
		if !strings.EqualFold(dn, slapdtest.ServiceAccountDN) && n != 0 {
			out[dn] = n
		}
	}
	return out
}

func caPool(t testing.TB, pem []byte) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no certificate in PEM")
	}
	return pool
}

// poolsIdle fails unless no connection of any pool is in use.
func poolsIdle(t testing.TB, d *Directory) {
	t.Helper()
	for _, ep := range d.endpoints {
		if n := ep.service.inUse(); n != 0 {
			t.Errorf("%s: %d service connections still in use", ep.srv.URL, n)
		}
		if n := ep.user.inUse(); n != 0 {
			t.Errorf("%s: %d user connections still in use", ep.srv.URL, n)
		}
	}
}

// idleConnections counts the idle connections of every pool.
func idleConnections(d *Directory) int {
	n := 0
	for _, ep := range d.endpoints {
		for _, p := range []*pool{ep.service, ep.user} {
			p.mu.Lock()
			n += len(p.idle)
			p.mu.Unlock()
		}
	}
	return n
}

// endpointState reads an endpoint's health under its lock.
func endpointState(ep *endpoint) (down, probing bool) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return ep.down, ep.probing
}

// setHook installs fn as the Directory's test hook (nil removes it).
func setHook(d *Directory, fn func(op string)) {
	if fn == nil {
		d.hook.Store(nil)
		return
	}
	d.hook.Store(&fn)
}

// fakeClock drives endpoint backoff in tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
