package redistest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testserver"
)

func TestClusterReadyAndKeysSpreadAcrossNodes(t *testing.T) {
	c := StartClusterT(t)
	addrs := c.Addrs()
	if len(addrs) != ClusterSize {
		t.Fatalf("%d addresses, want %d", len(addrs), ClusterSize)
	}
	seen := map[string]bool{}
	for i, a := range addrs {
		if seen[a] || !strings.HasPrefix(a, "127.0.0.1:") || c.Node(i).Addr() != a {
			t.Fatalf("address %d %q: duplicate, not loopback or not Node(%d)", i, a, i)
		}
		seen[a] = true
		info, err := c.Node(i).Do("CLUSTER", "INFO")
		if err != nil || !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_size:3") {
			t.Fatalf("node %s: CLUSTER INFO %q %v", a, info, err)
		}
		conf := filepath.Join(c.Dir(), "nodes-"+strconv.Itoa(c.Node(i).Port())+".conf")
		if _, err := os.Stat(conf); err != nil {
			t.Fatalf("cluster config file: %v", err)
		}
	}
	rc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	defer rc.Close()
	ctx := context.Background()
	const keys = 300
	for i := range keys {
		if err := rc.Set(ctx, fmt.Sprintf("key-%d", i), i, 0).Err(); err != nil {
			t.Fatalf("SET through the cluster: %v", err)
		}
	}
	// Each master holds part of the keys, and together they hold all.
	total := 0
	for i := range ClusterSize {
		n, err := c.Node(i).Do("DBSIZE")
		if err != nil {
			t.Fatal(err)
		}
		count, _ := strconv.Atoi(n)
		if count == 0 {
			t.Errorf("node %s holds no keys", c.Node(i).Addr())
		}
		total += count
	}
	if total != keys {
		t.Fatalf("nodes hold %d keys, want %d", total, keys)
	}
	// A hash tag pins keys to one slot: what scripts over several keys need.
	slot := func(k string) string {
		s, err := c.Node(0).Do("CLUSTER", "KEYSLOT", k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if slot("{acct}:a") != slot("{acct}:b") || slot("x:a") == slot("x:b") {
		t.Fatal("hash tags do not decide the slot as expected")
	}
}

func TestClusterWithPasswordNodeKillAndRestart(t *testing.T) {
	const pw = "cluster-secret"
	c := StartClusterT(t, WithPassword(pw))
	rc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs(), Password: pw, MaxRedirects: 3})
	defer rc.Close()
	ctx := context.Background()
	// A key on node 0's slots.
	key := keyOnNode(t, c, 0)
	if err := rc.Set(ctx, key, "1", 0).Err(); err != nil {
		t.Fatalf("SET with the password: %v", err)
	}
	if _, err := roundTrip(c.Node(1).Addr(), nil, pingTimeout, "PING"); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Fatalf("unauthenticated PING on a node: %v, want NOAUTH", err)
	}
	addr := c.Node(0).Addr()
	if err := c.Node(0).Kill(); err != nil {
		t.Fatal(err)
	}
	if testserver.Accepts(addr) {
		t.Fatal("killed node still accepts")
	}
	if err := rc.Set(ctx, key, "2", 0).Err(); err == nil {
		t.Fatal("SET to a killed node's slot succeeded")
	}
	if err := c.Node(0).Restart(); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitReady(); err != nil {
		t.Fatal(err)
	}
	if c.Node(0).Addr() != addr {
		t.Fatal("node port changed")
	}
	if err := rc.Set(ctx, key, "3", 0).Err(); err != nil {
		t.Fatalf("SET after the node came back: %v", err)
	}
	if n, err := c.Node(0).Do("DBSIZE"); err != nil || n != "1" {
		t.Fatalf("restarted node DBSIZE %q %v, want 1 (it kept its slots)", n, err)
	}
}

// keyOnNode finds a key whose slot node i serves, by asking that node to
// store it: a node refuses (MOVED) a key from another node's slots.
func keyOnNode(t *testing.T, c *Cluster, i int) string {
	t.Helper()
	for n := range 1000 {
		k := fmt.Sprintf("probe-%d", n)
		if _, err := c.Node(i).Do("SET", k, "0"); err == nil {
			if _, err := c.Node(i).Do("DEL", k); err != nil {
				t.Fatal(err)
			}
			return k
		}
	}
	t.Fatalf("no key found for node %d", i)
	return ""
}
