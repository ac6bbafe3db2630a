package directory

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// answer builds a DNS response to query id with the given answer records,
// each written as owner, type, ttl, rdata. Owners given as "@N" are
// compression pointers to offset N.
type rr struct {
	owner string
	rtype uint16
	ttl   uint32
	rdata []byte
}

func response(id, flags uint16, question string, qtype uint16, answers ...rr) []byte {
	msg, _ := buildQuery(id, question, qtype)
	binary.BigEndian.PutUint16(msg[2:], 0x8000|flags)
	binary.BigEndian.PutUint16(msg[6:], uint16(len(answers)))
	for _, a := range answers {
		msg = append(msg, encodeName(a.owner)...)
		msg = binary.BigEndian.AppendUint16(msg, a.rtype)
		msg = binary.BigEndian.AppendUint16(msg, dnsClassIN)
		msg = binary.BigEndian.AppendUint32(msg, a.ttl)
		msg = binary.BigEndian.AppendUint16(msg, uint16(len(a.rdata)))
		msg = append(msg, a.rdata...)
	}
	return msg
}

func encodeName(name string) []byte {
	if off, ok := strings.CutPrefix(name, "@"); ok {
		n := 0
		for _, c := range off {
			n = n*10 + int(c-'0')
		}
		return []byte{0xC0 | byte(n>>8), byte(n)}
	}
	var b []byte
	for _, l := range strings.Split(name, ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}

func srvData(prio, weight, port uint16, target []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, prio)
	b = binary.BigEndian.AppendUint16(b, weight)
	b = binary.BigEndian.AppendUint16(b, port)
	return append(b, target...)
}

const qname = "_ldap._tcp.dc._msdcs.corp.example.org"

func TestParseAnswer(t *testing.T) {
	dc1 := encodeName("dc1.corp.example.org")
	cases := []struct {
		name      string
		msg       []byte
		qtype     uint16
		want      dnsAnswer
		truncated bool
		err       string
	}{
		{"two SRV records, smallest TTL", response(7, 0, qname, dnsTypeSRV,
			rr{qname, dnsTypeSRV, 600, srvData(0, 100, 389, dc1)},
			rr{"@12", dnsTypeSRV, 300, srvData(10, 0, 3389, encodeName("dc2.corp.example.org"))}),
			dnsTypeSRV, dnsAnswer{srv: []SRVRecord{
				{Target: "dc1.corp.example.org", Port: 389, Priority: 0, Weight: 100, TTL: 600 * time.Second},
				{Target: "dc2.corp.example.org", Port: 3389, Priority: 10, Weight: 0, TTL: 300 * time.Second},
			}, ttl: 300 * time.Second}, false, ""},
		// The target compressed against the question's "corp.example.org"
		// (at offset 12 + the labels before it).
		{"compressed target", response(7, 0, qname, dnsTypeSRV,
			rr{"@12", dnsTypeSRV, 60, srvData(0, 5, 389, append([]byte{3, 'd', 'c', '3'}, 0xC0, byte(12+len("_ldap._tcp.dc._msdcs."))))}),
			dnsTypeSRV, dnsAnswer{srv: []SRVRecord{{Target: "dc3.corp.example.org", Port: 389, Weight: 5, TTL: time.Minute}}, ttl: time.Minute}, false, ""},
		{"A and AAAA", response(9, 0, "dc1.corp.example.org", dnsTypeA,
			rr{"@12", dnsTypeA, 30, []byte{127, 0, 0, 1}}),
			dnsTypeA, dnsAnswer{addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}, ttl: 30 * time.Second}, false, ""},
		{"records of other types skipped", response(7, 0, qname, dnsTypeSRV,
			rr{"@12", 5, 60, encodeName("elsewhere.example.org")}),
			dnsTypeSRV, dnsAnswer{}, false, ""},
		{"truncated", response(7, 0x0200, qname, dnsTypeSRV), dnsTypeSRV, dnsAnswer{}, true, ""},
		{"NXDOMAIN", response(7, 3, qname, dnsTypeSRV), dnsTypeSRV, dnsAnswer{}, false, "no such name"},
		{"refused", response(7, 5, qname, dnsTypeSRV), dnsTypeSRV, dnsAnswer{}, false, "error code 5 (refused)"},
		{"another query's answer", response(8, 0, qname, dnsTypeSRV), dnsTypeSRV, dnsAnswer{}, false, "another query"},
		{"a query, not a response", func() []byte { m, _ := buildQuery(7, qname, dnsTypeSRV); return m }(), dnsTypeSRV, dnsAnswer{}, false, "not a response"},
		{"short header", []byte{0, 7, 0x80}, dnsTypeSRV, dnsAnswer{}, false, "malformed"},
		{"rdata beyond the end", response(7, 0, qname, dnsTypeSRV, rr{"@12", dnsTypeSRV, 60, srvData(0, 0, 389, dc1)})[:60],
			dnsTypeSRV, dnsAnswer{}, false, "malformed"},
		{"pointer loop", response(7, 0, qname, dnsTypeSRV, rr{"@12", dnsTypeSRV, 60, srvData(0, 0, 389, []byte{0xC0, 0})}),
			dnsTypeSRV, dnsAnswer{}, false, "malformed"},
		{"A record of the wrong length", response(9, 0, "dc1.corp.example.org", dnsTypeA, rr{"@12", dnsTypeA, 30, []byte{1, 2, 3}}),
			dnsTypeA, dnsAnswer{}, false, "malformed"},
	}
	// The pointer-loop case points the target at the header, whose first
	// byte (0) ends the name: make it a real loop by pointing at itself.
	loop := cases[11].msg
	binary.BigEndian.PutUint16(loop[len(loop)-2:], 0xC000|uint16(len(loop)-2))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := binary.BigEndian.Uint16(tc.msg)
			if tc.name == "another query's answer" {
				id = 7
			}
			got, truncated, err := parseAnswer(tc.msg, id, tc.qtype)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if truncated != tc.truncated || !slices.Equal(got.srv, tc.want.srv) || !slices.Equal(got.addrs, tc.want.addrs) || got.ttl != tc.want.ttl {
				t.Fatalf("got %+v truncated %v, want %+v truncated %v", got, truncated, tc.want, tc.truncated)
			}
		})
	}
}

func TestNXDOMAINIsNoRecords(t *testing.T) {
	_, _, err := parseAnswer(response(7, 3, qname, dnsTypeSRV), 7, dnsTypeSRV)
	if !errors.Is(err, errNoSuchName) {
		t.Fatalf("NXDOMAIN gave %v", err)
	}
}

func TestBuildQuery(t *testing.T) {
	msg, err := buildQuery(0x1234, qname+".", dnsTypeSRV)
	if err != nil {
		t.Fatal(err)
	}
	name, off, err := readName(msg, 12)
	if err != nil || name != qname {
		t.Fatalf("question %q (%v)", name, err)
	}
	if binary.BigEndian.Uint16(msg) != 0x1234 || binary.BigEndian.Uint16(msg[2:]) != 0x0100 ||
		binary.BigEndian.Uint16(msg[off:]) != dnsTypeSRV || binary.BigEndian.Uint16(msg[off+2:]) != dnsClassIN {
		t.Fatalf("query % x", msg)
	}
	for _, bad := range []string{"", ".", "a..b", strings.Repeat("x", 64) + ".org", strings.Repeat("a.", 127) + "org"} {
		if _, err := buildQuery(1, bad, dnsTypeSRV); err == nil {
			t.Errorf("buildQuery(%q) accepted", bad)
		}
	}
}

// FuzzParseAnswer: no message, however hostile, makes the parser panic,
// loop or return a name longer than DNS allows.
func FuzzParseAnswer(f *testing.F) {
	f.Add(response(7, 0, qname, dnsTypeSRV, rr{"@12", dnsTypeSRV, 60, srvData(0, 5, 389, encodeName("dc1.corp.example.org"))}))
	f.Add(response(7, 0, "dc1.corp.example.org", dnsTypeAAAA, rr{"@12", dnsTypeAAAA, 60, make([]byte, 16)}))
	f.Fuzz(func(t *testing.T, msg []byte) {
		if len(msg) < 2 {
			return
		}
		for _, qtype := range []uint16{dnsTypeSRV, dnsTypeA, dnsTypeAAAA} {
			a, _, err := parseAnswer(msg, binary.BigEndian.Uint16(msg), qtype)
			if err != nil {
				continue
			}
			for _, r := range a.srv {
				if len(r.Target) > 253 {
					t.Fatalf("target of %d bytes", len(r.Target))
				}
			}
		}
	})
}
