package slapdtest

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/ldaptest"
)

func TestStatsParser(t *testing.T) {
	const (
		p       = "6b0b9361.1e79ce9d 0x7ff5 "
		acceptC = p + "conn=1001 fd=12 ACCEPT from IP=127.0.0.1:40000 (IP=127.0.0.1:389)"
		acceptH = p + "conn=1000 fd=13 ACCEPT from PATH=/tmp/x/ldapi (PATH=/tmp/x/ldapi)"
		bindReq = p + `conn=1001 op=0 BIND dn="uid=a,dc=example,dc=org" method=128`
		bindOK  = p + `conn=1001 op=0 BIND dn="uid=a,dc=example,dc=org" mech=SIMPLE bind_ssf=0 ssf=0`
		resOK   = p + "conn=1001 op=0 RESULT tag=97 err=0 qtime=0.000075 etime=0.000644 text="
		resBad  = p + "conn=1001 op=0 RESULT tag=97 err=49 qtime=0.000017 etime=0.000229 text="
		srch    = p + `conn=1001 op=1 SRCH base="dc=example,dc=org" scope=2 deref=0 filter="(uid=a)"`
		srchRes = p + "conn=1001 op=1 SEARCH RESULT tag=101 err=0 qtime=0.1 etime=0.1 nentries=1 text="
		tlsReq  = p + "conn=1001 op=0 EXT oid=1.3.6.1.4.1.1466.20037"
		closed  = p + "conn=1001 fd=12 closed (connection lost)"
		hBind   = p + `conn=1000 op=0 BIND dn="cn=admin,dc=example,dc=org" method=128`
		hSrch   = p + `conn=1000 op=1 SRCH base="dc=example,dc=org" scope=2 deref=0 filter="(x=y)"`
		debris  = p + "connection_input: conn=1001 deferring operation: binding"
	)
	tests := []struct {
		name        string
		lines       []string
		want        Counts
		wantPending bool
		ignore      string // a probe address registered with ignorePeer
	}{
		{"successful bind counts once", []string{acceptC, bindReq, bindOK, resOK, debris},
			Counts{Connections: 1, Binds: 1, BindsOK: 1, BindsByDN: map[string]int{"uid=a,dc=example,dc=org": 1}}, false, ""},
		{"failed bind", []string{acceptC, bindReq, resBad},
			Counts{Connections: 1, Binds: 1, BindsFailed: 1, BindsByDN: map[string]int{"uid=a,dc=example,dc=org": 1}}, false, ""},
		{"request without result is pending", []string{acceptC, bindReq},
			Counts{Connections: 1, Binds: 1, BindsByDN: map[string]int{"uid=a,dc=example,dc=org": 1}}, true, ""},
		{"close clears pending", []string{acceptC, srch, closed},
			Counts{Connections: 1, Searches: 1}, false, ""},
		{"search and StartTLS", []string{acceptC, tlsReq, srch, srchRes},
			Counts{Connections: 1, Searches: 1, StartTLS: 1}, false, ""},
		{"ldapi connection ignored", []string{acceptH, hBind, hSrch},
			Counts{}, false, ""},
		{"ops before ACCEPT wait for it", []string{bindReq, resOK},
			Counts{}, true, ""},
		{"ops before ACCEPT then client ACCEPT", []string{bindReq, resOK, acceptC},
			Counts{Connections: 1, Binds: 1, BindsOK: 1, BindsByDN: map[string]int{"uid=a,dc=example,dc=org": 1}}, false, ""},
		{"ops before ACCEPT then harness ACCEPT", []string{hBind, hSrch, acceptH},
			Counts{}, false, ""},
		{"ignored probe address", []string{acceptC, bindReq},
			Counts{}, false, "127.0.0.1:40000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newStatsLog()
			if tc.ignore != "" {
				l.ignorePeer(tc.ignore)
			}
			for _, line := range tc.lines {
				l.parseLine(line)
			}
			got := l.total.Sub(newCounts())
			assertCounts(t, got, tc.want)
			if pending := !l.settledLocked(); pending != tc.wantPending {
				t.Fatalf("pending=%v, want %v", pending, tc.wantPending)
			}
		})
	}
}

// Lines reach the file in pieces; only complete lines are parsed, and a
// new run's connection numbers do not collide with the old run's.
func TestStatsLogFilesAndPartialLines(t *testing.T) {
	dir := t.TempDir()
	run1, run2 := filepath.Join(dir, "1.log"), filepath.Join(dir, "2.log")
	l := newStatsLog()
	l.newRun(run1)
	appendFile(t, run1, "x conn=1001 fd=12 ACCEPT from IP=127.0.0.1:1 (IP=127.0.0.1:2)\nx conn=1001 op=0 BIND dn=\"a\" met")
	c, err := l.snapshot(false)
	if err != nil || c.Binds != 0 || c.Connections != 1 {
		t.Fatalf("half a line counted: %+v %v", c, err)
	}
	appendFile(t, run1, "hod=128\n")
	if c, _ = l.snapshot(false); c.Binds != 1 {
		t.Fatalf("completed line not counted: %+v", c)
	}
	appendFile(t, run1, "x conn=1002 op=0 BIND dn=\"b\" method=128\n") // ACCEPT never logged
	appendFile(t, run2, "x conn=1001 fd=12 ACCEPT from PATH=/s (PATH=/s)\nx conn=1001 op=0 SRCH base=\"\"\n")
	l.newRun(run2)
	if c, _ = l.snapshot(false); c.Binds != 2 || c.Searches != 0 {
		t.Fatalf("after new run: %+v (want the orphan bind counted, the ldapi search not)", c)
	}
	if err := l.reset(false); err != nil {
		t.Fatal(err)
	}
	l.finish()
	if c, _ = l.snapshot(false); c.Binds != 0 || len(c.BindsByDN) != 0 {
		t.Fatalf("after reset: %+v", c)
	}
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func assertCounts(t testing.TB, got, want Counts) {
	t.Helper()
	if want.BindsByDN == nil {
		want.BindsByDN = map[string]int{}
	}
	scalars := func(c Counts) [6]int {
		return [6]int{c.Connections, c.Binds, c.BindsOK, c.BindsFailed, c.Searches, c.StartTLS}
	}
	if scalars(got) != scalars(want) || len(got.BindsByDN) != len(want.BindsByDN) {
		t.Fatalf("counts %+v, want %+v", got, want)
	}
	for dn, n := range want.BindsByDN {
		if got.BindsByDN[dn] != n {
			t.Fatalf("BindsByDN %v, want %v", got.BindsByDN, want.BindsByDN)
		}
	}
}

// The real thing: every bind and search a client makes shows up exactly
// once, immediately, and the harness's own work never does.
func TestCountersExact(t *testing.T) {
	s := StartT(t)
	alice, _ := SampleUserByKey("ALICE")

	// A fresh server (data loaded, readiness probes done) shows zero.
	assertCounts(t, counters(t, s), Counts{})

	// Harness operations are not counted.
	if err := s.SetPassword(alice.DN, alice.Password); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddUser(NewUser{UID: "counted-not"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddToGroup(AdminsDN, alice.DN); err != nil {
		t.Fatal(err)
	}
	assertCounts(t, counters(t, s), Counts{})

	// Each bind is visible as soon as the client has its answer.
	for i := 1; i <= 40; i++ {
		tr := ldaptest.Transports[i%len(ldaptest.Transports)]
		pw := alice.Password
		if i%4 == 0 {
			pw = "wrong"
		}
		_ = bindOnce(t, s, tr, alice.DN, pw)
		if n, err := s.BindCount(); err != nil || n != i {
			t.Fatalf("after %d binds BindCount = %d (%v)", i, n, err)
		}
	}
	c := counters(t, s)
	assertCounts(t, c, Counts{Connections: 40, Binds: 40, BindsOK: 30, BindsFailed: 10,
		StartTLS: 14, BindsByDN: map[string]int{alice.DN: 40}})

	// Concurrent clients; one connection reused for binds and searches.
	if err := s.ResetCounters(); err != nil {
		t.Fatal(err)
	}
	const workers, perWorker = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := dial(s, ldaptest.Plain, s.CAPEM())
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			for i := 0; i < perWorker; i++ {
				if err := conn.Bind(ServiceAccountDN, ServiceAccountPassword); err != nil {
					errs <- err
					return
				}
				if _, err := conn.Search(ldap.NewSearchRequest(BaseDN, ldap.ScopeWholeSubtree,
					ldap.NeverDerefAliases, 0, 0, false, "(uid=bob)", []string{"dn"}, nil)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	assertCounts(t, counters(t, s), Counts{Connections: workers, Binds: workers * perWorker,
		BindsOK: workers * perWorker, Searches: workers * perWorker,
		BindsByDN: map[string]int{ServiceAccountDN: workers * perWorker}})

	// Counts survive a restart (connection numbers start again there).
	before := counters(t, s)
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	_ = bindOnce(t, s, ldaptest.Plain, alice.DN, alice.Password)
	d := counters(t, s).Sub(before)
	assertCounts(t, d, Counts{Connections: 1, Binds: 1, BindsOK: 1, BindsByDN: map[string]int{alice.DN: 1}})

	// And after Stop, the last values remain readable.
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if after := counters(t, s); after.Binds != before.Binds+1 {
		t.Fatalf("after Stop Binds = %d, want %d", after.Binds, before.Binds+1)
	}
}

func TestCountersDisabled(t *testing.T) {
	s := StartT(t, WithoutStats())
	if _, err := s.Counters(); !errors.Is(err, ErrStatsDisabled) {
		t.Fatalf("Counters: %v, want ErrStatsDisabled", err)
	}
	if err := s.ResetCounters(); !errors.Is(err, ErrStatsDisabled) {
		t.Fatalf("ResetCounters: %v", err)
	}
	alice, _ := SampleUserByKey("ALICE")
	if err := bindOnce(t, s, ldaptest.Plain, alice.DN, alice.Password); err != nil {
		t.Fatal(err)
	}
}
