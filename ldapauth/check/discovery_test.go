package check

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/adtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testserver"
)

// TestRunDiscovery: with domain, the check shows what the DC's own DNS
// server returned, the order the servers are tried in and which one
// answered; when DNS does not answer, the "dns" step carries the verdict.
func TestRunDiscovery(t *testing.T) {
	dc := adtest.StartT(t, adtest.Options{DNS: true})
	alice, _ := adtest.SampleUserByKey(adtest.KeyAlice)
	// A closed UDP port: every question is refused at once.
	dead, err := testserver.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	config := func(dnsServer string) []byte {
		data, err := json.Marshal(map[string]any{
			"domain": adtest.DNSDomain, "dns_server": dnsServer, "tls_ca_file": dc.CAFile(),
			"user_dn_template": "{username}@" + adtest.DNSDomain, "search_base_dn": adtest.BaseDN,
			"username_attribute": "sAMAccountName", "dial_timeout": "1s",
		})
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	const server = "ldaps://" + adtest.DCHostName + ":636"

	t.Run("found", func(t *testing.T) {
		r := Run(Options{File: "ad.json", Data: config(dc.DNSAddr()), Username: alice.SAMAccountName, Password: alice.Password})
		dns := stepNamed(r, "dns")
		want := []string{
			adtest.DCSRVName + ": 0 100 389 " + adtest.DCHostName,
			"tried in this order: 1. " + server + " ([::1]:636)",
			"answered by " + server,
		}
		for _, w := range want {
			if !slices.ContainsFunc(dns.Notes, func(n string) bool { return strings.HasPrefix(n, w) }) {
				t.Errorf("dns step notes %q lack %q", dns.Notes, w)
			}
		}
		if r.Verdict.Status != 200 || !dns.OK {
			t.Fatalf("verdict %+v, dns step %+v", r.Verdict, dns)
		}
		if tls := stepNamed(r, "tls"); !strings.Contains(tls.Detail, adtest.DCHostName) {
			t.Errorf("the certificate was not checked against the SRV target: %+v", tls)
		}
	})

	t.Run("site from the DC", func(t *testing.T) {
		var cfg map[string]any
		if err := json.Unmarshal(config(dc.DNSAddr()), &cfg); err != nil {
			t.Fatal(err)
		}
		cfg["ad_site"] = "auto"
		data, _ := json.Marshal(cfg)
		r := Run(Options{File: "ad.json", Data: data, Username: alice.SAMAccountName, Password: alice.Password})
		dns := stepNamed(r, "dns")
		site := "site Default-First-Site-Name, as " + adtest.DCHostName + " says"
		siteRecords := "_ldap._tcp.Default-First-Site-Name._sites.dc._msdcs." + adtest.DNSDomain + ": 0 100 389 " + adtest.DCHostName
		for _, w := range []string{site, siteRecords} {
			if !slices.ContainsFunc(dns.Notes, func(n string) bool { return strings.HasPrefix(n, w) }) {
				t.Errorf("dns step notes %q lack %q", dns.Notes, w)
			}
		}
		if r.Verdict.Status != 200 {
			t.Fatalf("verdict %+v", r.Verdict)
		}
	})

	// A forged or planted record naming a host outside the domain would
	// have the certificate checked against the attacker's own name.
	t.Run("target outside the domain ignored", func(t *testing.T) {
		evil := adtest.SRV{Name: adtest.DCSRVName, Target: "ldap.attacker.example.net", Port: 389, Priority: 0, Weight: 65535, TTL: 1}
		if err := dc.AddSRV(evil); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := dc.DeleteSRV(evil); err != nil {
				t.Error(err)
			}
		})
		r := Run(Options{File: "ad.json", Data: config(dc.DNSAddr()), Username: alice.SAMAccountName, Password: alice.Password})
		dns := stepNamed(r, "dns")
		ignored := "ignored: ldap.attacker.example.net: not in " + adtest.DNSDomain
		order := "tried in this order: 1. " + server + " ([::1]:636)"
		if r.Verdict.Status != 200 || !slices.Contains(dns.Notes, order) ||
			!slices.ContainsFunc(dns.Notes, func(n string) bool { return strings.HasPrefix(n, ignored) }) {
			t.Fatalf("verdict %+v, dns notes %q; want 200, %q and %q", r.Verdict, dns.Notes, ignored, order)
		}
	})

	t.Run("DNS not answering", func(t *testing.T) {
		r := Run(Options{File: "ad.json", Data: config("127.0.0.1:" + strconv.Itoa(dead[0])), Username: alice.SAMAccountName, Password: alice.Password})
		dns := stepNamed(r, "dns")
		if r.Verdict.Status != 503 || r.Verdict.Step != "dns" || dns.OK || !strings.Contains(dns.Advice, "dig SRV "+adtest.DCSRVName+" @127.0.0.1 -p ") {
			t.Fatalf("verdict %+v, dns step %+v", r.Verdict, dns)
		}
	})
}
