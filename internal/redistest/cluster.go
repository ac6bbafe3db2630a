package redistest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testproc"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testserver"
)

// ClusterSize is the number of masters in a Cluster (the minimum Redis
// Cluster accepts); there are no replicas.
const ClusterSize = 3

// Cluster is a local Redis Cluster of ClusterSize masters, each a Server
// with cluster mode on, sharing one temporary directory. Its methods are
// safe for concurrent use.
type Cluster struct {
	opts  Options
	dir   string
	nodes []*Server

	mu     sync.Mutex
	closed bool
}

// StartCluster starts ClusterSize redis-server instances in cluster mode
// on free loopback ports, joins them with redis-cli --cluster create
// (slots split evenly, no replicas) and waits until every node reports
// cluster_state:ok. Call Stop when done.
func StartCluster(opts Options) (*Cluster, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := testserver.CheckPrograms(ErrNotInstalled, opts.ServerPath, opts.CLIPath); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "redistest-cluster-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{opts: opts, dir: dir}
	for i := range ClusterSize {
		if err := c.startNode(i); err != nil {
			_ = c.Stop()
			return nil, err
		}
	}
	if err := c.create(); err != nil {
		_ = c.Stop()
		return nil, err
	}
	if err := c.WaitReady(); err != nil {
		_ = c.Stop()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) startNode(i int) error {
	nodeDir := filepath.Join(c.dir, fmt.Sprintf("node-%d", i+1))
	if err := os.Mkdir(nodeDir, 0o700); err != nil {
		return err
	}
	s := newServer(c.opts, nodeDir, false)
	c.nodes = append(c.nodes, s)
	return s.firstStart(func() (int, *clusterNode, error) {
		ports, err := testserver.FreePorts(2)
		if err != nil {
			return 0, nil, fmt.Errorf("redistest: %w", err)
		}
		return ports[0], &clusterNode{
			busPort:    ports[1],
			configFile: filepath.Join(c.dir, fmt.Sprintf("nodes-%d.conf", ports[0])),
		}, nil
	})
}

// create runs redis-cli --cluster create. The password goes through the
// environment (REDISCLI_AUTH), never the command line.
func (c *Cluster) create() error {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.ReadyTimeout+30*time.Second)
	defer cancel()
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if c.opts.Username != "" {
		args = append(args, "--user", c.opts.Username)
	}
	cmd := exec.CommandContext(ctx, c.opts.CLIPath, args...)
	cmd.Env = os.Environ()
	if c.opts.Password != "" {
		cmd.Env = append(cmd.Env, "REDISCLI_AUTH="+c.opts.Password)
	}
	cmd.SysProcAttr = testproc.SysProcAttr()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("redistest: redis-cli --cluster create: %v\n%s", err, strings.TrimSpace(out.String()))
	}
	if !strings.Contains(out.String(), "All 16384 slots covered") {
		return fmt.Errorf("redistest: redis-cli --cluster create did not cover every slot:\n%s", strings.TrimSpace(out.String()))
	}
	return nil
}

// WaitReady polls CLUSTER INFO on every node until each one reports
// cluster_state:ok, every slot assigned and all ClusterSize nodes known,
// or ReadyTimeout passes. Use it after restarting a node.
func (c *Cluster) WaitReady() error {
	if err := testproc.Poll(c.opts.ReadyTimeout, 20*time.Millisecond, nil, c.checkReady); err != nil {
		return fmt.Errorf("redistest: cluster: %w", err)
	}
	return nil
}

func (c *Cluster) checkReady() error {
	want := []string{
		"cluster_state:ok",
		"cluster_slots_assigned:16384",
		fmt.Sprintf("cluster_known_nodes:%d", ClusterSize),
	}
	for _, n := range c.nodes {
		info, err := n.Do("CLUSTER", "INFO")
		if err != nil {
			return fmt.Errorf("%s: %w", n.Addr(), err)
		}
		fields := strings.Fields(info)
		for _, w := range want {
			if !slices.Contains(fields, w) {
				return fmt.Errorf("%s: CLUSTER INFO lacks %s", n.Addr(), w)
			}
		}
	}
	return nil
}

// Addrs lists the nodes' host:port, the seed list a cluster client needs.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		addrs[i] = n.Addr()
	}
	return addrs
}

// Node returns node i (0 <= i < ClusterSize), for Kill, Freeze, Restart
// and Do on one member. After restarting a node, call WaitReady.
func (c *Cluster) Node(i int) *Server { return c.nodes[i] }

// Dir is the cluster's directory (node directories and nodes-PORT.conf).
func (c *Cluster) Dir() string { return c.dir }

// Stop stops every node and removes the directory. It is idempotent.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	var errs []error
	for _, n := range c.nodes {
		errs = append(errs, n.Stop())
	}
	if !c.opts.KeepDir {
		errs = append(errs, os.RemoveAll(c.dir))
	}
	return errors.Join(errs...)
}
