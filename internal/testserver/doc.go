// Package testserver holds what the harnesses of real servers share
// (slapdtest's slapd, redistest's redis-server, adtest's samba, devdir's
// php and cdp's Chromium): the check that a program is installed, free
// loopback ports, temporary directories that fit socket paths, waiting for
// a started server to answer, the tail of its log in errors, and stopping
// it; Supervisor runs a server that tests kill, freeze, thaw and restart.
//
// Processes themselves are started with internal/testproc, so they never
// outlive the process that started them.
package testserver
