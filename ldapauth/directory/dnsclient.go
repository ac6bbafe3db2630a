package directory

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"
)

// dnsClient asks DNS servers for SRV and address records. It speaks the
// DNS wire format itself (UDP, TCP when an answer is truncated) because
// net.Resolver does not return the records' TTLs, and the TTLs say when a
// server list must be looked up again. It is for the few questions a
// discovery asks, not a general resolver: no search domains, no caching,
// no DNSSEC.
type dnsClient struct {
	// server is host:port of the resolver; empty uses the nameservers of
	// /etc/resolv.conf (read at every lookup, so a changed file counts).
	server  string
	timeout time.Duration // per question and server
}

// DNS record types and the class this client uses.
const (
	dnsTypeA    = 1
	dnsTypeAAAA = 28
	dnsTypeSRV  = 33
	dnsClassIN  = 1
)

// SRVRecord is one SRV record as DNS returned it.
type SRVRecord struct {
	Target   string // without the trailing dot
	Port     uint16
	Priority uint16
	Weight   uint16
	TTL      time.Duration
}

// String formats r the way zone files do: priority weight port target.
func (r SRVRecord) String() string {
	return fmt.Sprintf("%d %d %d %s (ttl %s)", r.Priority, r.Weight, r.Port, r.Target, r.TTL)
}

// errNoSuchName is an NXDOMAIN answer: the name does not exist.
var errNoSuchName = errors.New("no such name")

// dnsAnswer is what one question returned.
type dnsAnswer struct {
	srv   []SRVRecord
	addrs []netip.Addr
	ttl   time.Duration // the smallest TTL among the records used
}

// lookupSRV returns the SRV records of name (NXDOMAIN and an empty answer
// both give no records and no error).
func (c *dnsClient) lookupSRV(ctx context.Context, name string) ([]SRVRecord, time.Duration, error) {
	a, err := c.ask(ctx, name, dnsTypeSRV)
	if errors.Is(err, errNoSuchName) {
		return nil, 0, nil
	}
	return a.srv, a.ttl, err
}

// lookupAddrs returns the IPv4 then IPv6 addresses of host.
func (c *dnsClient) lookupAddrs(ctx context.Context, host string) ([]netip.Addr, time.Duration, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, 0, nil
	}
	v4, err4 := c.ask(ctx, host, dnsTypeA)
	v6, err6 := c.ask(ctx, host, dnsTypeAAAA)
	addrs := append(v4.addrs, v6.addrs...)
	if len(addrs) == 0 {
		if err4 == nil || errors.Is(err4, errNoSuchName) {
			err4 = err6
		}
		if err4 == nil || errors.Is(err4, errNoSuchName) {
			err4 = fmt.Errorf("%s has no A or AAAA record", host)
		}
		return nil, 0, err4
	}
	ttl := v4.ttl
	if len(v4.addrs) == 0 || (len(v6.addrs) > 0 && v6.ttl < ttl) {
		ttl = v6.ttl
	}
	return addrs, ttl, nil
}

// ask sends one question to each resolver in turn until one answers.
func (c *dnsClient) ask(ctx context.Context, name string, qtype uint16) (dnsAnswer, error) {
	servers := []string{c.server}
	if c.server == "" {
		servers = systemNameservers()
	}
	var lastErr error
	for _, server := range servers {
		a, err := c.exchange(ctx, server, name, qtype)
		if err == nil || errors.Is(err, errNoSuchName) {
			return a, err
		}
		lastErr = fmt.Errorf("DNS server %s: %w", server, err)
		if ctx.Err() != nil {
			break
		}
	}
	return dnsAnswer{}, lastErr
}

// exchange asks one server over UDP, and over TCP when the UDP answer was
// truncated.
func (c *dnsClient) exchange(ctx context.Context, server, name string, qtype uint16) (dnsAnswer, error) {
	var idb [2]byte
	_, _ = rand.Read(idb[:])
	id := binary.BigEndian.Uint16(idb[:])
	query, err := buildQuery(id, name, qtype)
	if err != nil {
		return dnsAnswer{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	msg, err := roundTrip(ctx, "udp", server, query)
	if err != nil {
		return dnsAnswer{}, err
	}
	a, truncated, err := parseAnswer(msg, id, qtype)
	if err == nil && truncated {
		if msg, err = roundTrip(ctx, "tcp", server, query); err != nil {
			return dnsAnswer{}, err
		}
		a, _, err = parseAnswer(msg, id, qtype)
	}
	return a, err
}

// roundTrip sends query and reads one message, within ctx.
func roundTrip(ctx context.Context, network, server string, query []byte) ([]byte, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, server)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if network == "tcp" {
		framed := make([]byte, 2+len(query))
		binary.BigEndian.PutUint16(framed, uint16(len(query)))
		copy(framed[2:], query)
		if _, err := conn.Write(framed); err != nil {
			return nil, err
		}
		var n [2]byte
		if _, err := io.ReadFull(conn, n[:]); err != nil {
			return nil, err
		}
		msg := make([]byte, binary.BigEndian.Uint16(n[:]))
		_, err := io.ReadFull(conn, msg)
		return msg, err
	}
	if _, err := conn.Write(query); err != nil {
		return nil, err
	}
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	return buf[:n], err
}

// buildQuery encodes a recursive query for name and qtype.
func buildQuery(id uint16, name string, qtype uint16) ([]byte, error) {
	msg := make([]byte, 12, 12+len(name)+6)
	binary.BigEndian.PutUint16(msg[0:], id)
	binary.BigEndian.PutUint16(msg[2:], 0x0100) // RD: recursion desired
	binary.BigEndian.PutUint16(msg[4:], 1)      // one question
	name = strings.TrimSuffix(name, ".")
	if name == "" || len(name) > 253 {
		return nil, fmt.Errorf("%q is not a DNS name", name)
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 {
			return nil, fmt.Errorf("%q is not a DNS name", name)
		}
		msg = append(msg, byte(len(label)))
		msg = append(msg, label...)
	}
	msg = append(msg, 0)
	msg = binary.BigEndian.AppendUint16(msg, qtype)
	msg = binary.BigEndian.AppendUint16(msg, dnsClassIN)
	return msg, nil
}

var errMalformed = errors.New("malformed DNS message")

// parseAnswer reads the records of type qtype from the answer section of
// msg, a response to query id. truncated reports the TC bit.
func parseAnswer(msg []byte, id, qtype uint16) (a dnsAnswer, truncated bool, err error) {
	if len(msg) < 12 {
		return a, false, errMalformed
	}
	flags := binary.BigEndian.Uint16(msg[2:])
	switch {
	case binary.BigEndian.Uint16(msg) != id:
		return a, false, errors.New("DNS answer for another query")
	case flags&0x8000 == 0:
		return a, false, errors.New("DNS message is not a response")
	}
	switch rcode := flags & 0xF; rcode {
	case 0:
	case 3:
		return a, false, errNoSuchName
	default:
		return a, false, fmt.Errorf("DNS server answered with error code %d (%s)", rcode, rcodeName(rcode))
	}
	truncated = flags&0x0200 != 0
	qd, an := int(binary.BigEndian.Uint16(msg[4:])), int(binary.BigEndian.Uint16(msg[6:]))
	off := 12
	for range qd {
		if _, off, err = readName(msg, off); err != nil {
			return a, false, err
		}
		if off += 4; off > len(msg) {
			return a, false, errMalformed
		}
	}
	first := true
	for range an {
		if _, off, err = readName(msg, off); err != nil {
			return a, false, err
		}
		if off+10 > len(msg) {
			return a, false, errMalformed
		}
		rtype := binary.BigEndian.Uint16(msg[off:])
		class := binary.BigEndian.Uint16(msg[off+2:])
		ttl := time.Duration(binary.BigEndian.Uint32(msg[off+4:])&0x7FFFFFFF) * time.Second
		rdlen := int(binary.BigEndian.Uint16(msg[off+8:]))
		rdata := off + 10
		if off = rdata + rdlen; off > len(msg) {
			return a, false, errMalformed
		}
		if rtype != qtype || class != dnsClassIN {
			continue // CNAMEs on the way, other classes
		}
		switch rtype {
		case dnsTypeSRV:
			if rdlen < 7 {
				return a, false, errMalformed
			}
			// RFC 2782 forbids compressing the target; some servers do
			// anyway, so it is read like any other name.
			target, _, err := readName(msg, rdata+6)
			if err != nil {
				return a, false, err
			}
			a.srv = append(a.srv, SRVRecord{Target: target, TTL: ttl,
				Priority: binary.BigEndian.Uint16(msg[rdata:]),
				Weight:   binary.BigEndian.Uint16(msg[rdata+2:]),
				Port:     binary.BigEndian.Uint16(msg[rdata+4:])})
		case dnsTypeA, dnsTypeAAAA:
			ip, ok := netip.AddrFromSlice(msg[rdata:off])
			if !ok || (rtype == dnsTypeA) != ip.Is4() {
				return a, false, errMalformed
			}
			a.addrs = append(a.addrs, ip)
		}
		if first || ttl < a.ttl {
			a.ttl, first = ttl, false
		}
	}
	return a, truncated, nil
}

// readName reads a possibly compressed name at off and returns it without
// the trailing dot, and the offset after it in the message.
func readName(msg []byte, off int) (name string, next int, err error) {
	var b strings.Builder
	next = -1
	for hops := 0; ; {
		if off >= len(msg) {
			return "", 0, errMalformed
		}
		l := int(msg[off])
		switch {
		case l == 0:
			if next < 0 {
				next = off + 1
			}
			return b.String(), next, nil
		case l&0xC0 == 0xC0:
			if off+1 >= len(msg) {
				return "", 0, errMalformed
			}
			if next < 0 {
				next = off + 2
			}
			// A pointer loop would never end; real names need few hops.
			if hops++; hops > 32 {
				return "", 0, errMalformed
			}
			off = int(binary.BigEndian.Uint16(msg[off:]) & 0x3FFF)
		case l&0xC0 != 0:
			return "", 0, errMalformed
		default:
			if off+1+l > len(msg) || b.Len()+l+1 > 254 {
				return "", 0, errMalformed
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.Write(msg[off+1 : off+1+l])
			off += 1 + l
		}
	}
}

func rcodeName(rcode uint16) string {
	switch rcode {
	case 1:
		return "format error"
	case 2:
		return "server failure"
	case 4:
		return "not implemented"
	case 5:
		return "refused"
	}
	return "unknown"
}

// systemNameservers returns the nameservers of /etc/resolv.conf, or the
// local resolver when it names none (what the C library and Go do too).
func systemNameservers() []string {
	var servers []string
	if f, err := os.Open("/etc/resolv.conf"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) >= 2 && fields[0] == "nameserver" {
				if ip, err := netip.ParseAddr(fields[1]); err == nil {
					servers = append(servers, net.JoinHostPort(ip.String(), "53"))
				}
			}
		}
	}
	if len(servers) == 0 {
		servers = []string{"127.0.0.1:53", "[::1]:53"}
	}
	return servers
}
