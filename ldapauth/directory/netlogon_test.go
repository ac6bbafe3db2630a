package directory

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/adtest"
)

// netlogonBlob builds a NETLOGON_SAM_LOGON_RESPONSE_EX with the given
// opcode and names, the later names compressed against the first.
func netlogonBlob(op uint16, clientSite string) []byte {
	b := binary.LittleEndian.AppendUint16(nil, op)
	b = append(b, make([]byte, 22)...) // Sbz, flags, domain GUID
	forest := len(b)
	b = append(b, encodeName("corp.example.org")...)
	b = append(b, 0xC0, byte(forest))                   // DnsDomainName
	b = append(b, 3, 'd', 'c', '1', 0xC0, byte(forest)) // DnsHostName
	b = append(b, encodeName("CORP")...)
	b = append(b, encodeName("DC1")...)
	b = append(b, 0) // UserName: none
	b = append(b, encodeName("Default-First-Site-Name")...)
	if clientSite == "" {
		b = append(b, 0)
	} else {
		b = append(b, encodeName(clientSite)...)
	}
	return b
}

func TestParseNetlogon(t *testing.T) {
	cases := []struct {
		name string
		blob []byte
		want string
		err  string
	}{
		{"client in a site", netlogonBlob(logonSAMResponseEx, "Berlin"), "Berlin", ""},
		{"user unknown answer", netlogonBlob(logonSAMUserUnknownEx, "Berlin"), "Berlin", ""},
		{"no subnet matches", netlogonBlob(logonSAMResponseEx, ""), "", ""},
		{"old response format", netlogonBlob(19, "Berlin"), "", "opcode 19"},
		{"short", []byte{23, 0, 0}, "", "too short"},
		{"names cut off", netlogonBlob(logonSAMResponseEx, "Berlin")[:40], "", "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseNetlogon(tc.blob)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("site %q (%v), want %q", got, err, tc.want)
			}
		})
	}
}

// FuzzNetlogon: no CLDAP datagram or NETLOGON value, however hostile,
// panics the parsers.
func FuzzNetlogon(f *testing.F) {
	f.Add(netlogonBlob(logonSAMResponseEx, "Berlin"))
	f.Add([]byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseNetlogon(b)
		_, _ = netlogonAttribute(b, 1)
	})
}

// TestSiteFromSamba: Samba's own CLDAP service answers the LDAP ping with
// this machine's site (its only one), and discovery with AutoSite then
// prefers the records of that site, found in Samba's own DNS.
func TestSiteFromSamba(t *testing.T) {
	dc := adtest.StartT(t, adtest.Options{DNS: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	site, err := netlogonPing(ctx, "::1", adtest.DNSDomain, 5*time.Second)
	if err != nil || site != "Default-First-Site-Name" {
		t.Fatalf("site %q (%v), want Default-First-Site-Name", site, err)
	}
	c := &dnsClient{server: dc.DNSAddr(), timeout: 5 * time.Second}
	res, err := resolve(ctx, c, DiscoveryOptions{Domain: adtest.DNSDomain, Site: AutoSite}, false, func(int) int { return 0 })
	if err != nil {
		t.Fatal(err)
	}
	siteName := "_ldap._tcp.Default-First-Site-Name._sites.dc._msdcs." + adtest.DNSDomain
	last := res.Lookups[len(res.Lookups)-1]
	if res.Site != "Default-First-Site-Name" || res.SiteFrom != adtest.DCHostName || last.Name != siteName || len(last.Records) == 0 {
		t.Fatalf("resolution %+v: want the site's records, asked last", res)
	}
	if len(res.Servers) != 1 || res.Servers[0].URL != "ldaps://"+adtest.DCHostName+":636" || res.Servers[0].Addr != "[::1]:636" {
		t.Fatalf("servers %+v", res.Servers)
	}
}
