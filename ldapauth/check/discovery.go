package check

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
)

// dnsStep is the "dns" step of a configuration with domain: what DNS
// returned, the order the servers are tried in, and which one answered.
// It shows the list the check's own request used; when no list was found,
// it asks DNS again to show what failed.
func dnsStep(cfg *ldapauth.Config, dir *directory.Directory, answered string) Step {
	disc := cfg.Directory.Discovery
	resolver := disc.DNSServer
	if resolver == "" {
		resolver = "the nameservers of /etc/resolv.conf"
	}
	step := Step{Name: "dns", Detail: "SRV records of " + disc.Domain + " from " + resolver}
	start := time.Now()
	res := dir.Discovered()
	var err error
	if res == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*cfg.Directory.DialTimeout+time.Second)
		res, err = directory.Discover(ctx, cfg.Directory)
		cancel()
		step.TookMS = millis(time.Since(start))
	}
	if res != nil {
		for _, l := range res.Lookups {
			switch {
			case l.Err != nil:
				step.Notes = append(step.Notes, l.Name+": "+l.Err.Error())
			case len(l.Records) == 0:
				step.Notes = append(step.Notes, l.Name+": no records")
			default:
				recs := make([]string, len(l.Records))
				for i, r := range l.Records {
					recs[i] = r.String()
				}
				step.Notes = append(step.Notes, l.Name+": "+strings.Join(recs, "; "))
			}
		}
		switch {
		case res.Site != "":
			step.Notes = append(step.Notes, "site "+res.Site+", as "+res.SiteFrom+" says for this machine's address (CLDAP ping); the gateway's own address may map to another site")
		case res.SiteErr != nil:
			step.Notes = append(step.Notes, "site unknown, the domain's DCs serve: "+res.SiteErr.Error())
		case res.SiteFrom != "":
			step.Notes = append(step.Notes, res.SiteFrom+" maps this machine's address to no site (no subnet matches): the domain's DCs serve")
		}
		for _, skipped := range res.Skipped {
			step.Notes = append(step.Notes, "ignored: "+skipped)
		}
		if len(res.Servers) > 0 {
			order := make([]string, len(res.Servers))
			for i, s := range res.Servers {
				order[i] = fmt.Sprintf("%d. %s (%s)", i+1, s.URL, s.Addr)
			}
			step.Notes = append(step.Notes, "tried in this order: "+strings.Join(order, ", "),
				"looked up again in "+res.TTL.String()+" (the records' TTL, within 2s to 1h)")
		}
	}
	if answered != "" {
		step.Notes = append(step.Notes, "answered by "+answered)
	}
	if err != nil {
		step.Error = err.Error()
		step.Advice = "check domain (the AD DNS domain, e.g. corp.example.org), ad_site and dns_server: " +
			"the DNS server must answer for the domain's SRV records; from this machine, try: " +
			"dig SRV " + disc.SRVNames()[0] + dnsServerFlag(disc.DNSServer)
		return step
	}
	step.OK = true
	return step
}

// dnsServerFlag is dig's @server argument for a host:port resolver.
func dnsServerFlag(server string) string {
	if server == "" {
		return ""
	}
	host, port, found := strings.Cut(server, "]:")
	if found {
		host = strings.TrimPrefix(host, "[")
	} else if i := strings.LastIndex(server, ":"); i >= 0 {
		host, port = server[:i], server[i+1:]
	} else {
		host, port = server, "53"
	}
	return " @" + host + " -p " + port
}
