package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/redistest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testproc"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testserver"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost/plugintest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
)

// fleet is two gateway processes (contract hosts loading the same .so)
// in front of one slapd, sharing the Redis their tyk.conf names, as a
// fleet of Tyk nodes behind a load balancer shares the gateway's Redis.
type fleet struct {
	t     *testing.T
	ldap  *slapdtest.Server
	nodes []string // base URLs
}

const fleetAPI = "fleet"

func startFleet(t *testing.T, storage map[string]any) *fleet {
	t.Helper()
	f := &fleet{t: t, ldap: slapdtest.StartT(t)}
	so := plugintest.BuildPlugin(t, "../../plugin")
	host := plugintest.BuildCommand(t, "../tykhost/cmd/contracthost")
	up := newUpstream(t)
	dir := t.TempDir()
	api := map[string]any{
		"name": "fleet", "api_id": fleetAPI, "org_id": "default", "active": true,
		"use_keyless": false, "custom_plugin_auth_enabled": true, "strip_auth_data": true,
		"version_data": map[string]any{"not_versioned": true, "default_version": "Default",
			"versions": map[string]any{"Default": map[string]any{"name": "Default"}}},
		"proxy":             map[string]any{"listen_path": "/" + fleetAPI + "/", "target_url": up.URL, "strip_listen_path": true},
		"custom_middleware": map[string]any{"driver": "goplugin", "auth_check": map[string]any{"name": "LDAPAuth", "path": so}},
		"config_data": map[string]any{
			"urls": f.ldap.URL(), "search_base_dn": slapdtest.PeopleDN,
			"bind_dn": slapdtest.ServiceAccountDN, "bind_password": slapdtest.ServiceAccountPassword,
			"shared_state": "redis", "redis_timeout": "200ms", "session_key_secret": "fleet-wide-secret-0123456789",
			"max_failures": 3, "failure_window": "1m",
		},
	}
	apiFile := writeJSON(t, filepath.Join(dir, "api.json"), api)
	confFile := writeJSON(t, filepath.Join(dir, "tyk.conf"), map[string]any{"storage": storage})
	for i := range 2 {
		f.nodes = append(f.nodes, startNode(t, host, apiFile, confFile, i))
	}
	return f
}

func writeJSON(t *testing.T, path string, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startNode runs one contract host and waits until it answers.
func startNode(t *testing.T, bin, apiFile, confFile string, i int) string {
	t.Helper()
	addr := testutil.ClosedAddr(t)
	logFile, err := os.Create(filepath.Join(t.TempDir(), fmt.Sprintf("node-%d.log", i)))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-listen", addr, "-api", apiFile, "-tyk-conf", confFile, "-log-level", "info")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	p, err := testproc.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Terminate(5 * time.Second); logFile.Close() })
	base := "http://" + addr
	err = testserver.WaitReady(p, 20*time.Second, 20*time.Millisecond, "contracthost", "answer /hello", func() error {
		resp, err := http.Get(base + "/hello")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/hello answered %s", resp.Status)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("gateway node %d: %v", i, testserver.WithLogTail(err, "contracthost", logFile.Name(), 40))
	}
	return base
}

// burst sends one request per password at once, spread over the nodes,
// and returns the statuses.
func (f *fleet) burst(user string, passwords []string) map[int]int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	start := make(chan struct{})
	for i, pw := range passwords {
		base := f.nodes[i%len(f.nodes)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodGet, base+"/"+fleetAPI+"/", nil)
			req.Header.Set("Authorization", basic(user, pw))
			<-start
			status := 0
			if resp, err := http.DefaultClient.Do(req); err == nil {
				status = resp.StatusCode
				resp.Body.Close()
			}
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return statuses
}

// warm sends each node one good login first. A node's first Redis calls
// dial, and on a cluster load the slot map, which a loaded machine can push
// past redis_timeout; a node that saw a call time out counts on its own
// until its probe finds Redis again (1 s later), which is not what the
// bound checks measure.
func (f *fleet) warm() {
	f.t.Helper()
	test, _ := slapdtest.SampleUserByKey("TEST")
	for _, base := range f.nodes {
		req, _ := http.NewRequest(http.MethodGet, base+"/"+fleetAPI+"/", nil)
		req.Header.Set("Authorization", basic(test.UID, test.Password))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			f.t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			f.t.Fatalf("warm-up login on %s: status %d", base, resp.StatusCode)
		}
	}
}

// binds counts the binds slapd received for a user's entry during fn.
func (f *fleet) binds(dn string, fn func()) int {
	f.t.Helper()
	before, err := f.ldap.Counters()
	if err != nil {
		f.t.Fatal(err)
	}
	fn()
	after, err := f.ldap.Counters()
	if err != nil {
		f.t.Fatal(err)
	}
	n := 0
	for sent, k := range after.Sub(before).BindsByDN {
		if directory.NormalizeDN(sent) == directory.NormalizeDN(dn) {
			n += k
		}
	}
	return n
}

func wrong(n int, tag string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = tag + "-" + strconv.Itoa(i)
	}
	return out
}

func userDN(uid string) string { return "uid=" + uid + "," + slapdtest.PeopleDN }

// checkFleetBound: a burst of wrong passwords for one user spread over
// both nodes puts at most max_failures binds into slapd.
func checkFleetBound(t *testing.T, f *fleet, user string) {
	t.Helper()
	f.warm()
	var statuses map[int]int
	binds := f.binds(userDN(user), func() { statuses = f.burst(user, wrong(100, "guess")) })
	if binds > 3 {
		t.Fatalf("%d binds for %s across two gateways sharing Redis, max_failures is 3 (statuses %v)", binds, user, statuses)
	}
	if statuses[401] != binds || statuses[429] != 100-binds {
		t.Fatalf("statuses %v for %d binds: want one 401 per bind and 429 for the rest", statuses, binds)
	}
}

func TestFleetTwoGatewaysShareOneRedis(t *testing.T) {
	rds := redistest.StartT(t)
	port, _ := strconv.Atoi(rds.Addr()[len("127.0.0.1:"):])
	f := startFleet(t, map[string]any{"type": "redis", "host": "127.0.0.1", "port": port})
	checkFleetBound(t, f, "alice")

	// Redis killed mid-burst: no 5xx; each node counts locally meanwhile.
	var first, second map[int]int
	binds := f.binds(userDN("carol"), func() {
		first = f.burst("carol", wrong(50, "before-kill"))
		if err := rds.Kill(); err != nil {
			t.Fatal(err)
		}
		second = f.burst("carol", wrong(50, "after-kill"))
	})
	for _, statuses := range []map[int]int{first, second} {
		for status := range statuses {
			if status >= 500 || status == 0 {
				t.Fatalf("a Redis outage caused status %d (before %v, after %v)", status, first, second)
			}
		}
	}
	if binds > 3+2*3 {
		t.Fatalf("%d binds for carol: shared (3) before the outage, at most 3 per node after it", binds)
	}
	if err := rds.Restart(); err != nil {
		t.Fatal(err)
	}
	// Shared counting resumes once a node's probe finds Redis back.
	deadline := time.Now().Add(45 * time.Second)
	for _, user := range []string{"dave", "test", "jsmith", "o'brien", "twin", "bob"} {
		var statuses map[int]int
		binds := f.binds(userDN(user), func() { statuses = f.burst(user, wrong(40, "after-restart")) })
		if binds <= 3 && statuses[429] == 40-binds {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second) // the nodes probe Redis on their own backoff clock
	}
	t.Fatal("after Redis came back the nodes never shared counts again")
}

func TestFleetOnARedisCluster(t *testing.T) {
	c, err := redistest.StartCluster(redistest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	f := startFleet(t, map[string]any{"type": "redis", "enable_cluster": true, "addrs": c.Addrs()})
	checkFleetBound(t, f, "alice")
}
