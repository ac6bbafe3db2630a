package directory

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	ldap "github.com/go-ldap/ldap/v3"
)

// AutoSite as DiscoveryOptions.Site asks the domain controllers which site
// this machine is in, the way Windows clients do, instead of naming it.
const AutoSite = "auto"

// cldapPort is where domain controllers answer LDAP over UDP (CLDAP).
const cldapPort = "389"

// netlogonVersion asks for NETLOGON_SAM_LOGON_RESPONSE_EX (MS-ADTS
// 6.3.1.4: NETLOGON_NT_VERSION_5 | NETLOGON_NT_VERSION_5EX), little-endian.
const netlogonVersion = `\06\00\00\00`

// Opcodes of the extended answer: the DC answered, with or without knowing
// the user (the ping names none).
const (
	logonSAMResponseEx    = 23
	logonSAMUserUnknownEx = 25
)

// netlogonPing asks the domain controller at host (an IP address) for its
// NETLOGON answer over CLDAP and returns the client's site: the site the DC
// maps this machine's address to through the domain's subnets, empty when
// none matches. This is the "LDAP ping" of MS-ADTS 6.3.3.
func netlogonPing(ctx context.Context, host, domain string, timeout time.Duration) (clientSite string, err error) {
	filter, err := ldap.CompileFilter("(&(DnsDomain=" + ldap.EscapeFilter(domain) + ")(NtVer=" + netlogonVersion + "))")
	if err != nil {
		return "", err
	}
	id := int64(time.Now().UnixNano()&0x7FFF) + 1
	msg := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAP Request")
	msg.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, "MessageID"))
	req := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationSearchRequest, nil, "Search Request")
	req.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", "Base DN"))
	req.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, 0, "Scope"))
	req.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, 0, "Deref Aliases"))
	req.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, 0, "Size Limit"))
	req.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, 0, "Time Limit"))
	req.AppendChild(ber.NewBoolean(ber.ClassUniversal, ber.TypePrimitive, ber.TagBoolean, false, "Types Only"))
	req.AppendChild(filter)
	attrs := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "Attributes")
	attrs.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "Netlogon", "Attribute"))
	req.AppendChild(attrs)
	msg.AppendChild(req)

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	answer, err := roundTrip(ctx, "udp", net.JoinHostPort(host, cldapPort), msg.Bytes())
	if err != nil {
		return "", err
	}
	blob, err := netlogonAttribute(answer, id)
	if err != nil {
		return "", err
	}
	return parseNetlogon(blob)
}

var errNoNetlogon = errors.New("the CLDAP answer holds no Netlogon attribute")

// netlogonAttribute returns the Netlogon value of the search result entry
// that answers message id.
func netlogonAttribute(answer []byte, id int64) (blob []byte, err error) {
	// A hostile datagram must not panic the refresher through the BER
	// decoder; the refresher recovers too, this keeps the error precise.
	defer func() {
		if r := recover(); r != nil {
			blob, err = nil, fmt.Errorf("malformed CLDAP answer: %v", r)
		}
	}()
	p, err := ber.DecodePacketErr(answer)
	if err != nil {
		return nil, fmt.Errorf("malformed CLDAP answer: %w", err)
	}
	if len(p.Children) < 2 {
		return nil, errors.New("malformed CLDAP answer")
	}
	if got, ok := p.Children[0].Value.(int64); !ok || got != id {
		return nil, errors.New("CLDAP answer to another request")
	}
	entry := p.Children[1]
	if entry.ClassType != ber.ClassApplication || entry.Tag != ldap.ApplicationSearchResultEntry || len(entry.Children) < 2 {
		return nil, errNoNetlogon
	}
	for _, attr := range entry.Children[1].Children {
		if len(attr.Children) < 2 || len(attr.Children[1].Children) == 0 {
			continue
		}
		if name, _ := attr.Children[0].Value.(string); strings.EqualFold(name, "Netlogon") {
			return attr.Children[1].Children[0].Data.Bytes(), nil
		}
	}
	return nil, errNoNetlogon
}

// parseNetlogon reads the client's site from NETLOGON_SAM_LOGON_RESPONSE_EX
// (MS-ADTS 6.3.1.9): opcode, flags and domain GUID, then eight names
// compressed as in DNS, with pointers relative to the start of the value.
func parseNetlogon(blob []byte) (clientSite string, err error) {
	if len(blob) < 24 {
		return "", errors.New("NETLOGON answer too short")
	}
	switch op := binary.LittleEndian.Uint16(blob); op {
	case logonSAMResponseEx, logonSAMUserUnknownEx:
	default:
		return "", fmt.Errorf("NETLOGON answer of opcode %d, not the extended response", op)
	}
	off := 24
	// DnsForestName, DnsDomainName, DnsHostName, NetbiosDomainName,
	// NetbiosComputerName, UserName, DcSiteName, ClientSiteName.
	var name string
	for range 8 {
		if name, off, err = readName(blob, off); err != nil {
			return "", fmt.Errorf("NETLOGON answer: %w", err)
		}
	}
	return name, nil
}
