// Package slapdtest runs a real OpenLDAP server (slapd) for tests and local
// demos.
//
// Each Server lives in its own temporary directory, listens on free loopback
// ports (ldap:// that also serves StartTLS, and ldaps://), uses TLS material
// generated at start, and is loaded with the sample directory in
// testdata/ldap (see SampleUsers). It can be killed, frozen, thawed and
// restarted to simulate outages, and it counts the bind and search
// operations it receives from clients (Counters) by reading slapd's own
// stats log, so tests can assert exactly how many operations reached it.
//
// The harness itself talks to slapd over a private ldapi:// socket. Those
// operations are never counted, so the counters only show what clients
// sent over TCP.
//
// It needs the Debian packages slapd and ldap-utils
// (apt-get install -y slapd ldap-utils) and runs on Linux.
package slapdtest
