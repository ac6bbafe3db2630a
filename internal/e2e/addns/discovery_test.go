package addns

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/adtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/e2e/e2etest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testserver"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
)

const (
	wrongPassword = "Not-The-Password-9"
	realm         = "Restricted"
	site          = "Default-First-Site-Name"
	siteSRVName   = "_ldap._tcp." + site + "._sites.dc._msdcs." + adtest.DNSDomain
	// ownLDAPS is how the plugin names the DC Samba registered: LDAPS on
	// 636 of the SRV target.
	ownLDAPS = "ldaps://" + adtest.DCHostName + ":636"
)

// pickup bounds the wait for a changed record to be used: the records'
// TTL is 1 s, the plugin looks up again after 2 s at the soonest.
const pickup = 30 * time.Second

// world is the DC with its DNS server and a gateway with the real plugin.
type world struct {
	*e2etest.Gateway
	t  *testing.T
	dc *adtest.DC
}

func newWorld(t *testing.T) *world {
	t.Helper()
	dc := adtest.StartT(t, adtest.Options{DNS: true})
	return &world{Gateway: e2etest.NewGateway(t, "../../../plugin", tykhost.Options{}), t: t, dc: dc}
}

// config is an API's config_data: no server list, only the domain (and
// the DNS server to ask, since the machine's resolver does not serve the
// AD domain), with direct bind as user@corp.example.org. Every request
// reaches the DC: nothing is cached.
func (w *world) config(pairs ...any) map[string]any {
	return e2etest.With(map[string]any{
		"domain":             adtest.DNSDomain,
		"dns_server":         w.dc.DNSAddr(),
		"tls_ca_file":        w.dc.CAFile(),
		"user_dn_template":   "{username}@" + adtest.DNSDomain,
		"search_base_dn":     adtest.BaseDN,
		"username_attribute": "sAMAccountName",
		"cache_ttl":          "0s",
		"dial_timeout":       "1s",
	}, pairs...)
}

// proxy is another address of the DC's StartTLS listener ([::1]:389,
// where dc1.corp.example.org points), for an SRV record of its own.
func (w *world) proxy() *testserver.Proxy {
	w.t.Helper()
	p, err := testserver.StartProxy("[::1]:0", net.JoinHostPort("::1", strconv.Itoa(adtest.LDAPPort)))
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { _ = p.Close() })
	return p
}

// record is the SRV record of name that sends clients to p.
func record(name string, p *testserver.Proxy) adtest.SRV {
	return adtest.SRV{Name: name, Target: adtest.DCHostName, Port: uint16(p.Port()), Priority: 0, Weight: 100, TTL: 1}
}

// own is the record Samba registered for the DC under name.
func own(name string) adtest.SRV {
	return adtest.SRV{Name: name, Target: adtest.DCHostName, Port: adtest.LDAPPort, Priority: 0, Weight: 100, TTL: 900}
}

// replace swaps the records of name: add first, then delete, so DNS never
// answers with none.
func (w *world) replace(del, add adtest.SRV) {
	w.t.Helper()
	if err := w.dc.AddSRV(add); err != nil {
		w.t.Fatal(err)
	}
	if err := w.dc.DeleteSRV(del); err != nil {
		w.t.Fatal(err)
	}
}

// granted checks that alice gets in through api.
func (w *world) granted(t *testing.T, api string) {
	t.Helper()
	alice, _ := adtest.SampleUserByKey(adtest.KeyAlice)
	e2etest.CheckGranted(t, w.For(t).As(api, alice.SAMAccountName, alice.Password), alice.SAMAccountName)
}

// until sends alice's login through api until cond holds.
func (w *world) until(t *testing.T, api, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(pickup)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, pickup)
		}
		w.granted(t, api)
		if t.Failed() {
			t.FailNow()
		}
	}
}

// TestDiscovery: with only domain set (and the DNS server to ask), users
// sign in through the DC Samba registered in its own DNS; the audit line
// names it. Changed records are followed without a reload: a new record is
// used within seconds, a DC removed from DNS gets no more connections and
// its pooled ones are closed; while DNS does not answer, the last list
// keeps serving and the failure is logged once; ad_site prefers the site's
// records and falls back to the domain's when the site has none, and
// "auto" learns the site from the DC's CLDAP answer.
func TestDiscovery(t *testing.T) {
	w := newWorld(t)

	t.Run("domain only", func(t *testing.T) {
		w.Load(w.API(e2etest.Classic, "dns-ldaps", w.config()))
		w.granted(t, "dns-ldaps")
		mark := e2etest.GatewayLog.Mark()
		e2etest.CheckDenial(t, w.For(t).As("dns-ldaps", "alice", wrongPassword), http.StatusUnauthorized, e2etest.MsgInvalid, e2etest.Challenge(realm))
		lines := e2etest.LogLines(e2etest.GatewayLog.Since(mark), "request denied", "api_id=dns-ldaps ")
		if len(lines) != 1 || !strings.Contains(lines[0], `server="`+ownLDAPS+`"`) {
			t.Fatalf("audit lines %q, want one naming server=%s", lines, ownLDAPS)
		}
		if err := w.dc.ResetLockoutState("alice"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("records followed", func(t *testing.T) {
		name := adtest.DCSRVName
		a, b := w.proxy(), w.proxy()
		w.replace(own(name), record(name, a))
		t.Cleanup(func() {
			for _, p := range []*testserver.Proxy{a, b} {
				_ = w.dc.DeleteSRV(record(name, p))
			}
			if err := w.dc.AddSRV(own(name)); err != nil {
				t.Error(err)
			}
		})
		relay, err := testserver.StartUDPRelay("127.0.0.1:0", w.dc.DNSAddr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = relay.Close() })
		w.Load(w.API(e2etest.Classic, "dns-starttls", w.config("start_tls", true, "dns_server", relay.Addr())))

		w.granted(t, "dns-starttls")
		if a.Accepted() == 0 || b.Accepted() != 0 {
			t.Fatalf("connections through a %d, b %d; want a only", a.Accepted(), b.Accepted())
		}

		// A new record replaces a's: used without a reload, and a is
		// drained: its pooled connections closed, no new ones.
		w.replace(record(name, a), record(name, b))
		w.until(t, "dns-starttls", "b's new record used", func() bool { return b.Accepted() > 0 })
		w.until(t, "dns-starttls", "a's pooled connections closed", func() bool { return a.Open() == 0 })
		drained := a.Accepted()
		for range 20 {
			w.granted(t, "dns-starttls")
		}
		if a.Accepted() != drained {
			t.Fatalf("a, removed from DNS, got %d new connections", a.Accepted()-drained)
		}

		// DNS stops answering: the records change behind its back, the
		// last list (b) keeps serving, and the failure is logged once
		// however many lookups fail.
		mark := e2etest.GatewayLog.Mark()
		relay.Drop(true)
		w.replace(record(name, b), record(name, a))
		asked := relay.Received()
		w.until(t, "dns-starttls", "three failed lookups", func() bool { return relay.Received() >= asked+3 })
		if got := a.Accepted(); got != drained {
			t.Fatalf("a got %d connections while DNS was down; the last list had only b", got-drained)
		}
		warnings := e2etest.LogLines(e2etest.GatewayLog.Since(mark), "api_id=dns-starttls ", "keeping the last list")
		if len(warnings) != 1 {
			t.Fatalf("%d warnings about the failed lookups, want 1:\n%s", len(warnings), strings.Join(warnings, "\n"))
		}

		// DNS answers again: the changed record is followed.
		relay.Drop(false)
		w.until(t, "dns-starttls", "a's record used again after DNS came back", func() bool { return a.Accepted() > drained })
		if lines := e2etest.LogLines(e2etest.GatewayLog.Since(mark), "api_id=dns-starttls ", "servers works again"); len(lines) == 0 {
			t.Fatalf("no line says DNS works again; the log since DNS went down:\n%s",
				strings.Join(e2etest.LogLines(e2etest.GatewayLog.Since(mark), "api_id=dns-starttls ", "DNS"), "\n"))
		}
	})

	t.Run("ad_site", func(t *testing.T) {
		p := w.proxy()
		w.replace(own(siteSRVName), record(siteSRVName, p))
		t.Cleanup(func() {
			_ = w.dc.DeleteSRV(record(siteSRVName, p))
			if err := w.dc.AddSRV(own(siteSRVName)); err != nil {
				t.Error(err)
			}
		})
		w.Load(
			w.API(e2etest.Classic, "dns-site", w.config("start_tls", true, "ad_site", site)),
			w.API(e2etest.Classic, "dns-no-site", w.config("start_tls", true, "ad_site", "No-Such-Site")),
			w.API(e2etest.Classic, "dns-auto-site", w.config("start_tls", true, "ad_site", "auto")),
		)
		w.granted(t, "dns-site")
		if p.Accepted() == 0 {
			t.Fatal("the site's record was not used")
		}
		before := p.Accepted()
		w.granted(t, "dns-no-site")
		if p.Accepted() != before {
			t.Fatal("an unknown site used the other site's record instead of the domain's")
		}
		// The DC's CLDAP service tells the gateway its site (Samba answers
		// with its only site), whose record leads to p.
		w.granted(t, "dns-auto-site")
		if p.Accepted() == before {
			t.Fatal("ad_site auto did not use the site's record")
		}
	})
}
