package adtest

import (
	"context"
	"slices"
	"testing"
)

// TestDNS: with Options.DNS the DC runs Samba's own DNS server on a free
// port, answers for the SRV record Samba registered for itself at
// provisioning, and takes unsigned updates that add and delete records.
func TestDNS(t *testing.T) {
	exclusive(t)
	dc := StartT(t, Options{DNS: true})
	if dc.DNSAddr() == "" {
		t.Fatal("no DNS address")
	}
	own := SRV{Name: DCSRVName, Target: DCHostName, Port: LDAPPort, Priority: 0, Weight: 100}
	recs, err := dc.LookupSRV(DCSRVName)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(recs, own) {
		t.Fatalf("SRV records %+v, want Samba's own %+v", recs, own)
	}
	addrs, err := dc.Resolver().LookupHost(context.Background(), DCHostName)
	if err != nil || !slices.Equal(addrs, []string{"::1"}) {
		t.Fatalf("%s resolves to %v (%v), want ::1", DCHostName, addrs, err)
	}

	extra := SRV{Name: DCSRVName, Target: DCHostName, Port: 10389, Priority: 5, Weight: 7, TTL: 1}
	if err := dc.AddSRV(extra); err != nil {
		t.Fatal(err)
	}
	recs, err = dc.LookupSRV(DCSRVName)
	extra.TTL = 0
	if err != nil || !slices.Contains(recs, extra) || !slices.Contains(recs, own) {
		t.Fatalf("after adding: %+v (%v), want both %+v and %+v", recs, err, own, extra)
	}
	if err := dc.DeleteSRV(own); err != nil {
		t.Fatal(err)
	}
	recs, err = dc.LookupSRV(DCSRVName)
	if err != nil || !slices.Equal(recs, []SRV{extra}) {
		t.Fatalf("after deleting Samba's own: %+v (%v), want only %+v", recs, err, extra)
	}
}
