package ldapauth

import (
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// One slapd serves every test that only reads the sample directory; tests
// that kill, freeze or modify a server start their own.
func sharedLDAP(t testing.TB) *slapdtest.Server { return slapdtest.Shared(t) }

func TestMain(m *testing.M) { slapdtest.Main(m) }

const peopleTemplate = "uid={username},ou=people,dc=example,dc=org"

// directConfig is a direct-bind configuration for srv plus overrides.
func directConfig(srv *slapdtest.Server, overrides map[string]any) map[string]any {
	raw := map[string]any{"urls": srv.URL(), "user_dn_template": peopleTemplate}
	return merge(raw, overrides)
}

// searchConfig is a search-then-bind configuration with the service account.
func searchConfig(srv *slapdtest.Server, overrides map[string]any) map[string]any {
	raw := map[string]any{
		"urls":           srv.URL(),
		"search_base_dn": slapdtest.BaseDN,
		"bind_dn":        slapdtest.ServiceAccountDN,
		"bind_password":  slapdtest.ServiceAccountPassword,
	}
	return merge(raw, overrides)
}

func merge(raw, overrides map[string]any) map[string]any {
	for k, v := range overrides {
		if v == nil {
			delete(raw, k)
		} else {
			raw[k] = v
		}
	}
	return raw
}

func mustConfig(t testing.TB, raw map[string]any) *Config {
	t.Helper()
	cfg, err := ParseConfig(raw)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

func counters(t testing.TB, srv *slapdtest.Server) slapdtest.Counts {
	t.Helper()
	c, err := srv.Counters()
	if err != nil {
		t.Fatalf("slapd counters: %v", err)
	}
	return c
}

// deadURL is an ldap:// URL on a loopback port nobody listens on.
func deadURL(t testing.TB) string { return slapdtest.ClosedPortURL(t) }
