package ldapauth

import (
	"net/http"
	"net/netip"
	"strings"
)

// DefaultClientIPv6Prefix is how many leading bits of an IPv6 address
// name one client: a single host commonly owns a whole /64.
const DefaultClientIPv6Prefix = 64

// DefaultTrustedProxyHeader is the forwarding header read from trusted
// proxies.
const DefaultTrustedProxyHeader = "X-Forwarded-For"

// clientAddressRule tells which client a request comes from, for the
// per-client limit and the audit log, in the way of nginx's
// set_real_ip_from with real_ip_recursive: the socket peer is the client
// unless it is a trusted proxy; then the forwarding header is read from
// its right end (the entry the trusted proxy itself appended), skipping
// entries that are trusted proxies too. Anything left of the first
// untrusted entry was written by the client and is never believed. With
// no trusted proxies the headers are ignored entirely.
type clientAddressRule struct {
	trusted []netip.Prefix
	header  string // canonical header name
	v6Bits  int
}

func newClientAddressRule(cfg *Config) clientAddressRule {
	return clientAddressRule{
		trusted: cfg.TrustedProxies,
		header:  http.CanonicalHeaderKey(cfg.TrustedProxyHeader),
		v6Bits:  cfg.ClientIPv6Prefix,
	}
}

// clientAddress is who sent a request.
type clientAddress struct {
	ip  string // the address, for logs
	key string // what the per-client limit counts: the address, or its IPv6 prefix
}

func (c clientAddressRule) of(r *http.Request) clientAddress {
	addr, ok := parseHost(r.RemoteAddr)
	if !ok {
		// Not a TCP peer (a test, a unix socket): count it as one client.
		return clientAddress{ip: r.RemoteAddr, key: "client:" + r.RemoteAddr}
	}
	if c.isTrusted(addr) {
		addr = c.forwarded(r.Header[c.header], addr)
	}
	return c.named(addr)
}

// forwarded walks the header's entries from the right, past trusted
// proxies, and returns the first address not trusted; peer when there is
// none. An entry that is not an address ends the walk at the last trusted
// hop: what lies left of it cannot be attributed.
func (c clientAddressRule) forwarded(lines []string, peer netip.Addr) netip.Addr {
	client := peer
	for i := len(lines) - 1; i >= 0; i-- {
		line := lines[i]
		for line != "" {
			var entry string
			if j := strings.LastIndexByte(line, ','); j >= 0 {
				line, entry = line[:j], line[j+1:]
			} else {
				line, entry = "", line
			}
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			addr, ok := parseHost(entry)
			if !ok {
				return client
			}
			client = addr
			if !c.isTrusted(addr) {
				return client
			}
		}
	}
	return client
}

func (c clientAddressRule) isTrusted(a netip.Addr) bool {
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (c clientAddressRule) named(a netip.Addr) clientAddress {
	ip := a.String()
	if a.Is4() || c.v6Bits >= 128 {
		return clientAddress{ip: ip, key: "client:" + ip}
	}
	p, _ := a.Prefix(c.v6Bits)
	return clientAddress{ip: ip, key: "client:" + p.String()}
}

// parseHost reads an address with or without a port ("203.0.113.7",
// "203.0.113.7:5000", "[2001:db8::1]:443", "2001:db8::1"), dropping an
// IPv6 zone and unmapping IPv4-mapped IPv6.
func parseHost(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}
