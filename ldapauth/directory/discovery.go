package directory

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DiscoveryOptions finds the directory servers through DNS SRV records
// (RFC 2782) instead of a fixed list, the way Windows clients find domain
// controllers.
type DiscoveryOptions struct {
	// Domain is the DNS domain whose SRV records list the servers, e.g.
	// "corp.example.org".
	Domain string
	// Site, when set, is the Active Directory site whose domain controllers
	// are preferred; the domain's records are used when the site has none.
	// AutoSite asks the domain's DCs which site this machine is in (a CLDAP
	// "LDAP ping", as Windows clients do) at every lookup.
	Site string
	// DNSServer is host:port of the DNS server asked; empty asks the
	// nameservers of /etc/resolv.conf.
	DNSServer string
	// Timeout bounds each DNS question; zero uses Options.DialTimeout.
	Timeout time.Duration
}

// Bounds on how long a discovered server list is used before it is looked
// up again, whatever the records' TTL says: a TTL of 0 must not turn into
// a lookup per request, and a TTL of a day must not hide a retired DC that
// long. Failures trigger a lookup sooner, but never more often than
// minRefresh.
const (
	minRefresh = 2 * time.Second
	maxRefresh = time.Hour
)

// ldapsPort is where LDAPS is served. SRV records publish LDAP's port
// (389); Active Directory serves LDAPS on 636 on every DC and publishes no
// record for it.
const ldapsPort = 636

// SRVNames returns the SRV names asked, in order; the first one with
// records wins. The site's domain controllers come first, then the
// domain's; the generic _ldap._tcp name last, so a non-AD directory
// (OpenLDAP publishes _ldap._tcp.<domain>) works with the same setting.
func (o DiscoveryOptions) SRVNames() []string {
	domain := strings.TrimSuffix(o.Domain, ".")
	var names []string
	if o.Site != "" && o.Site != AutoSite {
		names = append(names, "_ldap._tcp."+o.Site+"._sites.dc._msdcs."+domain)
	}
	return append(names, "_ldap._tcp.dc._msdcs."+domain, "_ldap._tcp."+domain)
}

// Lookup is one SRV name asked and what DNS answered.
type Lookup struct {
	Name    string
	Records []SRVRecord // as DNS returned them
	Err     error
}

// Resolution is one discovery: what DNS answered and the servers it gave,
// in the order requests try them.
type Resolution struct {
	Lookups []Lookup
	Servers []Server
	// Skipped are the records not used, each with the reason.
	Skipped []string
	// Site is the site the domain controllers placed this machine in, with
	// AutoSite; SiteFrom the DC that said so, SiteErr why none could.
	Site     string
	SiteFrom string
	SiteErr  error
	// TTL is how long the list may be used before it is looked up again.
	TTL time.Duration
}

// Discover looks the servers of opts.Discovery up once. A Directory keeps
// its own list fresh; this is for tools that show what DNS says.
func Discover(ctx context.Context, opts Options) (*Resolution, error) {
	opts.withDefaults()
	if opts.Discovery == nil {
		return nil, errors.New("directory: no discovery configured")
	}
	return resolve(ctx, newDNSClient(opts), *opts.Discovery, opts.StartTLS, rand.IntN)
}

func newDNSClient(opts Options) *dnsClient {
	timeout := opts.Discovery.Timeout
	if timeout <= 0 {
		timeout = opts.DialTimeout
	}
	return &dnsClient{server: opts.Discovery.DNSServer, timeout: timeout}
}

// resolve asks for the SRV names in turn, orders the first records found
// as RFC 2782 says, and looks up each target's address. With AutoSite it
// first finds the domain's DCs, asks them for this machine's site, and
// then prefers that site's DCs. randN(n) returns a number in [0, n).
func resolve(ctx context.Context, c *dnsClient, o DiscoveryOptions, startTLS bool, randN func(int) int) (*Resolution, error) {
	res := &Resolution{}
	auto := o.Site == AutoSite
	if auto {
		o.Site = ""
	}
	if err := res.lookUp(ctx, c, o, startTLS, randN); err != nil {
		return res, err
	}
	if !auto {
		return res, nil
	}
	site, from, err := pingForSite(ctx, res.Servers, o.Domain, c.timeout)
	res.SiteFrom = from
	if err != nil {
		// Without an answer the domain's DCs serve, as without ad_site.
		res.SiteErr = err
		return res, nil
	}
	if site == "" {
		return res, nil
	}
	res.Site = site
	o.Site = site
	sited := &Resolution{}
	err = sited.lookUp(ctx, c, o, startTLS, randN)
	res.Lookups = append(res.Lookups, sited.Lookups...)
	if err != nil {
		// The site has no DCs of its own (or DNS failed just now): the
		// domain's serve.
		return res, nil
	}
	res.Servers, res.Skipped, res.TTL = sited.Servers, sited.Skipped, min(res.TTL, sited.TTL)
	return res, nil
}

// lookUp fills res from the first of o's SRV names that has records.
func (res *Resolution) lookUp(ctx context.Context, c *dnsClient, o DiscoveryOptions, startTLS bool, randN func(int) int) error {
	var records []SRVRecord
	var ttl time.Duration
	for _, name := range o.SRVNames() {
		recs, t, err := c.lookupSRV(ctx, name)
		res.Lookups = append(res.Lookups, Lookup{Name: name, Records: recs, Err: err})
		if err != nil {
			// Only a name that does not exist falls through to the next
			// one: after a timeout the preferred records may well exist,
			// and the last good list is better than the fallback's.
			return fmt.Errorf("DNS lookup of %s failed: %w", name, err)
		}
		if len(recs) > 0 {
			records, ttl = recs, t
			break
		}
	}
	if len(records) == 0 {
		return fmt.Errorf("DNS has no SRV records for %s", strings.Join(o.SRVNames(), ", "))
	}
	// A single record with target "." says the service is decidedly not
	// offered in this domain (RFC 2782).
	if len(records) == 1 && records[0].Target == "" {
		return fmt.Errorf("DNS says %s offers no LDAP service (SRV target \".\")", o.Domain)
	}
	seen := map[string]bool{}
	addrTTL := map[string]time.Duration{}
	domain := strings.ToLower(strings.TrimSuffix(o.Domain, "."))
	for _, rec := range orderSRV(records, randN) {
		if rec.Target == "" {
			continue
		}
		// Certificates are checked against the target's name, so whoever
		// can forge a DNS answer chooses that name: only names in the
		// domain are trusted to be its directory servers.
		if t := strings.ToLower(rec.Target); t != domain && !strings.HasSuffix(t, "."+domain) {
			res.Skipped = append(res.Skipped, rec.Target+": not in "+domain+", so not trusted as one of its servers")
			continue
		}
		port := int(rec.Port)
		scheme := "ldap"
		if !startTLS {
			scheme, port = "ldaps", ldapsPort
		}
		target := strings.ToLower(rec.Target)
		url := scheme + "://" + net.JoinHostPort(target, strconv.Itoa(port))
		if seen[url] {
			continue
		}
		seen[url] = true
		// The address is looked up now, so no request waits for DNS; a
		// target this DNS server cannot resolve is dialled by name.
		host := target
		if addrs, t, err := c.lookupAddrs(ctx, target); err == nil {
			host = addrs[0].String()
			addrTTL[target] = t
		}
		res.Servers = append(res.Servers, Server{URL: url, Scheme: scheme, Host: target,
			Addr: net.JoinHostPort(host, strconv.Itoa(port))})
	}
	if len(res.Servers) == 0 {
		return fmt.Errorf("no SRV record of %s names a server in the domain (%s)", o.Domain, strings.Join(res.Skipped, "; "))
	}
	for _, t := range addrTTL {
		ttl = min(ttl, t)
	}
	res.TTL = min(max(ttl, minRefresh), maxRefresh)
	return nil
}

// sitePings bounds how many DCs are asked for this machine's site.
const sitePings = 3

// pingForSite asks the first DCs in turn which site this machine is in,
// and returns the first answer and the DC that gave it.
func pingForSite(ctx context.Context, servers []Server, domain string, timeout time.Duration) (site, from string, err error) {
	for _, srv := range servers[:min(len(servers), sitePings)] {
		host, _, splitErr := net.SplitHostPort(srv.Addr)
		if splitErr != nil {
			continue
		}
		site, err = netlogonPing(ctx, host, domain, timeout)
		if err == nil {
			return site, srv.Host, nil
		}
		err = fmt.Errorf("CLDAP ping of %s: %w", srv.Host, err)
		if ctx.Err() != nil {
			break
		}
	}
	if err == nil {
		err = errors.New("no domain controller to ask for the site")
	}
	return "", "", err
}

// orderSRV orders records as RFC 2782 says: by priority, lowest first, and
// within one priority by a weighted random draw, so servers of equal
// priority share the load in proportion to their weights.
func orderSRV(records []SRVRecord, randN func(int) int) []SRVRecord {
	sorted := slices.Clone(records)
	slices.SortStableFunc(sorted, func(a, b SRVRecord) int { return cmp.Compare(a.Priority, b.Priority) })
	out := make([]SRVRecord, 0, len(sorted))
	for i := 0; i < len(sorted); {
		j := i
		for j < len(sorted) && sorted[j].Priority == sorted[i].Priority {
			j++
		}
		// Zero-weight records first: they are picked only when the draw
		// is 0, as the RFC's running-sum selection gives them.
		group := slices.Clone(sorted[i:j])
		slices.SortStableFunc(group, func(a, b SRVRecord) int {
			return cmp.Compare(min(a.Weight, 1), min(b.Weight, 1))
		})
		for len(group) > 0 {
			total := 0
			for _, r := range group {
				total += int(r.Weight)
			}
			pick := 0
			if total > 0 {
				draw, sum := randN(total+1), 0
				for k, r := range group {
					if sum += int(r.Weight); sum >= draw {
						pick = k
						break
					}
				}
			}
			out = append(out, group[pick])
			group = slices.Delete(group, pick, pick+1)
		}
		i = j
	}
	return out
}
