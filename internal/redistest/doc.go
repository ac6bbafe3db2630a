// Package redistest runs real Redis servers for tests and local demos: a
// single redis-server, or a local Redis Cluster of three masters.
//
// Every server lives in its own temporary directory, listens on a free
// loopback port, keeps nothing on disk (no RDB snapshots, no AOF) and dies
// with the process that started it, even when that process crashes. A
// server can be killed, frozen, thawed and restarted on the same port to
// simulate outages. Readiness is always a real PING (and, for a cluster,
// CLUSTER INFO reporting cluster_state:ok on every node).
//
// It needs the Debian package redis-server (which also installs
// redis-cli): apt-get install -y --no-install-recommends redis-server.
// It runs on Linux.
package redistest
