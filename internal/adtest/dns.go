package adtest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// DCSRVName is the SRV name Windows clients find the domain's DCs by;
// Samba registers the DC under it at provisioning (Options.DNS).
const DCSRVName = "_ldap._tcp.dc._msdcs." + DNSDomain

// dnsServerArgs run Samba's DNS server beside LDAP on port, accepting
// unsigned updates (DC.AddSRV, DC.DeleteSRV), and CLDAP (UDP 389) for
// the "LDAP ping" that tells a client its site.
func dnsServerArgs(port int) []string {
	return []string{
		"--option=server services=ldap dns cldap",
		"--option=dns port=" + strconv.Itoa(port),
		"--option=allow dns updates=nonsecure",
	}
}

// DNSAddr is host:port of the DC's DNS server (Options.DNS), "" without it.
func (dc *DC) DNSAddr() string {
	if dc.dnsPort == 0 {
		return ""
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(dc.dnsPort))
}

// Resolver asks the DC's DNS server only.
func (dc *DC) Resolver() *net.Resolver {
	addr := dc.DNSAddr()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
}

// SRV is one SRV record.
type SRV struct {
	Name     string // the owner, e.g. DCSRVName
	Target   string
	Port     uint16
	Priority uint16
	Weight   uint16
	TTL      uint32 // seconds (AddSRV only)
}

// LookupSRV asks the DC's DNS server for name's SRV records.
func (dc *DC) LookupSRV(name string) ([]SRV, error) {
	if dc.dnsPort == 0 {
		return nil, errors.New("adtest: the DC runs no DNS server (Options.DNS)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, recs, err := dc.Resolver().LookupSRV(ctx, "", "", name)
	if err != nil {
		return nil, err
	}
	out := make([]SRV, len(recs))
	for i, r := range recs {
		out[i] = SRV{Name: name, Target: strings.TrimSuffix(r.Target, "."), Port: r.Port, Priority: r.Priority, Weight: r.Weight}
	}
	return out, nil
}

// AddSRV adds r to the DC's zone with an unsigned DNS update (RFC 2136).
func (dc *DC) AddSRV(r SRV) error { return dc.updateSRV(r, false) }

// DeleteSRV deletes the record r (matched by name, target, port, priority
// and weight) from the DC's zone.
func (dc *DC) DeleteSRV(r SRV) error { return dc.updateSRV(r, true) }

// RFC 2136 constants.
const (
	opcodeUpdate = 5
	typeSOA      = 6
	typeSRV      = 33
	classIN      = 1
	classNone    = 254 // in an update: delete this exact record
)

func (dc *DC) updateSRV(r SRV, remove bool) error {
	if dc.dnsPort == 0 {
		return errors.New("adtest: the DC runs no DNS server (Options.DNS)")
	}
	// Samba keeps _msdcs.<domain> as a zone of its own.
	zone := DNSDomain
	if strings.HasSuffix(r.Name, "._msdcs."+DNSDomain) {
		zone = "_msdcs." + DNSDomain
	}
	msg := make([]byte, 12)
	binary.BigEndian.PutUint16(msg[0:], uint16(time.Now().UnixNano()))
	binary.BigEndian.PutUint16(msg[2:], opcodeUpdate<<11)
	binary.BigEndian.PutUint16(msg[4:], 1) // zone count
	binary.BigEndian.PutUint16(msg[8:], 1) // update count
	msg = appendName(msg, zone)
	msg = binary.BigEndian.AppendUint16(msg, typeSOA)
	msg = binary.BigEndian.AppendUint16(msg, classIN)
	class, ttl := uint16(classIN), r.TTL
	if remove {
		class, ttl = classNone, 0
	}
	rdata := binary.BigEndian.AppendUint16(nil, r.Priority)
	rdata = binary.BigEndian.AppendUint16(rdata, r.Weight)
	rdata = binary.BigEndian.AppendUint16(rdata, r.Port)
	rdata = appendName(rdata, r.Target)
	msg = appendName(msg, r.Name)
	msg = binary.BigEndian.AppendUint16(msg, typeSRV)
	msg = binary.BigEndian.AppendUint16(msg, class)
	msg = binary.BigEndian.AppendUint32(msg, ttl)
	msg = binary.BigEndian.AppendUint16(msg, uint16(len(rdata)))
	msg = append(msg, rdata...)

	conn, err := net.DialTimeout("udp", dc.DNSAddr(), 5*time.Second)
	if err != nil {
		return fmt.Errorf("adtest: DNS update: %w", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write(msg); err != nil {
		return fmt.Errorf("adtest: DNS update: %w", err)
	}
	resp := make([]byte, 512)
	n, err := conn.Read(resp)
	if err != nil {
		return fmt.Errorf("adtest: DNS update: %w", err)
	}
	if n < 12 || binary.BigEndian.Uint16(resp) != binary.BigEndian.Uint16(msg) {
		return errors.New("adtest: DNS update: malformed answer")
	}
	if rcode := resp[3] & 0xF; rcode != 0 {
		return fmt.Errorf("adtest: DNS update of %s refused with rcode %d", r.Name, rcode)
	}
	return nil
}

func appendName(b []byte, name string) []byte {
	for _, label := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		b = append(b, byte(len(label)))
		b = append(b, label...)
	}
	return append(b, 0)
}
