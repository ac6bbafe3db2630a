package directory

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testserver"
)

// slowDirectory is the sample slapd behind a proxy adding latency each
// way: healthy, but every operation takes at least two latencies.
func slowDirectory(t *testing.T, latency time.Duration, poolSize int) (*Directory, *lockedBuffer) {
	t.Helper()
	srv := sharedLDAP(t)
	proxy := testserver.StartProxyT(t, srv.Addr())
	proxy.SetLatency(latency)
	o := directOptions(t, srv)
	o.Servers = []Server{mustServer(t, "ldap://"+proxy.Addr())}
	o.PoolSize = poolSize
	// Long enough that a starved machine never runs one operation out of
	// its whole allowance; the flood below queues for longer than that.
	o.DialTimeout, o.RequestTimeout = time.Second, time.Second
	logs := &lockedBuffer{}
	o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	return newDirectory(t, o), logs
}

// A flood of checks against a healthy directory that answers in 30 ms,
// with two pooled connections: most requests wait for a slot longer than
// they can afford. Those are KindBusy; none is KindUnavailable, the server
// is never marked down, and a check right after the flood succeeds.
func TestQueueingIsNotAnOutage(t *testing.T) {
	d, logs := slowDirectory(t, 15*time.Millisecond, 2)
	mustAuthenticate(t, d, "alice", "alice-pass-1")

	kinds := map[Kind]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	stop := time.Now().Add(3 * time.Second)
	for i := range 96 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user, pass := "alice", "alice-pass-1"
			if i%2 == 1 {
				user, pass = "bob", "bob-pass-1"
			}
			for time.Now().Before(stop) {
				_, err := authenticate(d, user, pass)
				mu.Lock()
				kinds[KindOf(err)]++
				mu.Unlock()
				if down, _ := endpointState(d.endpoints[0]); down {
					return
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("outcomes by kind (0 is success): %v", kinds)
	if down, _ := endpointState(d.endpoints[0]); down {
		t.Fatalf("queueing marked a healthy server down; log:\n%s", logs)
	}
	if kinds[KindUnavailable] > 0 {
		t.Fatalf("%d checks answered unavailable from a healthy directory; log:\n%s", kinds[KindUnavailable], logs)
	}
	if kinds[0] == 0 || kinds[KindBusy] == 0 {
		t.Fatalf("the flood did not both succeed and saturate the pool: %v", kinds)
	}
	if strings.Contains(logs.String(), "unavailable") {
		t.Fatalf("a server was reported unavailable:\n%s", logs)
	}
	mustAuthenticate(t, d, "bob", "bob-pass-1")
}

// An operation started with less than request_timeout left (the caller's
// deadline comes first) that runs out is the caller's lack of time, not
// the server's failure: KindBusy, no verdict, no failover.
func TestShortBudgetTimeoutIsNoVerdict(t *testing.T) {
	d, logs := slowDirectory(t, 40*time.Millisecond, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := d.Authenticate(ctx, "alice", "alice-pass-1", nil)
	if KindOf(err) != KindBusy {
		t.Fatalf("kind %v (%v), want busy", KindOf(err), err)
	}
	if down, probing := endpointState(d.endpoints[0]); down || probing {
		t.Fatalf("server marked down (%v) or left probing (%v); log:\n%s", down, probing, logs)
	}
	mustAuthenticate(t, d, "alice", "alice-pass-1")
}
