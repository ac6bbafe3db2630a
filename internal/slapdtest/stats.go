package slapdtest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Counts are operations slapd received from clients over TCP (ldap:// and
// ldaps://). The harness's own ldapi operations are excluded.
type Counts struct {
	Connections int // TCP connections accepted
	Binds       int // bind requests, anonymous included
	BindsOK     int // bind results with success
	BindsFailed int // bind results with an error (49 = bad credentials)
	Searches    int // search requests
	StartTLS    int // StartTLS extended requests
	// BindsByDN counts bind requests per DN exactly as the client sent it
	// ("" for anonymous).
	BindsByDN map[string]int
}

// Sub returns c - prev, field by field (BindsByDN keeps non-zero entries).
func (c Counts) Sub(prev Counts) Counts {
	d := Counts{
		Connections: c.Connections - prev.Connections,
		Binds:       c.Binds - prev.Binds,
		BindsOK:     c.BindsOK - prev.BindsOK,
		BindsFailed: c.BindsFailed - prev.BindsFailed,
		Searches:    c.Searches - prev.Searches,
		StartTLS:    c.StartTLS - prev.StartTLS,
		BindsByDN:   map[string]int{},
	}
	for dn, n := range c.BindsByDN {
		if n -= prev.BindsByDN[dn]; n != 0 {
			d.BindsByDN[dn] = n
		}
	}
	for dn, n := range prev.BindsByDN {
		if _, ok := c.BindsByDN[dn]; !ok && n != 0 {
			d.BindsByDN[dn] = -n
		}
	}
	return d
}

func (c Counts) clone() Counts {
	out := c
	out.BindsByDN = make(map[string]int, len(c.BindsByDN))
	for k, v := range c.BindsByDN {
		out.BindsByDN[k] = v
	}
	return out
}

// ErrStatsDisabled is returned by Counters when Options.DisableStats is set.
var ErrStatsDisabled = errors.New("slapdtest: stats log disabled (Options.DisableStats)")

// settleTimeout bounds how long Counters waits for results of operations
// whose request is already logged. slapd logs a request before it answers
// (so request counts are exact as soon as the client has its answer) but
// logs RESULT lines just after sending, a few microseconds later.
const settleTimeout = 250 * time.Millisecond

// Counters returns the operations received since start (or since the last
// ResetCounters), summed over restarts. Request counts (Binds, Searches,
// StartTLS, Connections) are exact for every operation whose response a
// client has received; result counts are exact once no operation is in
// flight.
func (s *Server) Counters() (Counts, error) {
	if s.stats == nil {
		return Counts{}, ErrStatsDisabled
	}
	settle := s.answering()
	return s.stats.snapshot(settle)
}

// BindCount is Counters().Binds.
func (s *Server) BindCount() (int, error) {
	c, err := s.Counters()
	return c.Binds, err
}

// SearchCount is Counters().Searches.
func (s *Server) SearchCount() (int, error) {
	c, err := s.Counters()
	return c.Searches, err
}

// ResetCounters makes the current counts the new zero.
func (s *Server) ResetCounters() error {
	if s.stats == nil {
		return ErrStatsDisabled
	}
	return s.stats.reset(s.answering())
}

// answering: only a running, unfrozen slapd can still log results.
func (s *Server) answering() bool { return s.run.Answering() }

type opKey struct{ conn, op int }

type connClass int

const (
	connUnknown connClass = iota // operations seen before the ACCEPT line
	connClient                   // TCP from a client: counted
	connHarness                  // ldapi, or a readiness probe: ignored
)

// connState: slapd logs ACCEPT on the listener thread and operations on
// worker threads, so a connection's first operation can reach the log
// before its ACCEPT line. Such operations wait in buf until the ACCEPT
// line says whose connection it is.
type connState struct {
	class connClass
	buf   *Counts
}

// statsLog incrementally parses slapd's "-d stats" output, one file per
// slapd run (connection numbers restart with each run).
type statsLog struct {
	mu       sync.Mutex
	path     string // current run's log; "" after finish
	offset   int64
	partial  []byte
	conns    map[int]*connState
	ignore   map[string]bool // client addresses of the harness's TCP probes
	pending  map[opKey]bool  // requests logged, results not yet
	total    Counts
	baseline Counts
}

func newStatsLog() *statsLog {
	return &statsLog{
		conns:    map[int]*connState{},
		ignore:   map[string]bool{},
		pending:  map[opKey]bool{},
		total:    newCounts(),
		baseline: newCounts(),
	}
}

func newCounts() Counts { return Counts{BindsByDN: map[string]int{}} }

func (c *Counts) add(d Counts) {
	c.Connections += d.Connections
	c.Binds += d.Binds
	c.BindsOK += d.BindsOK
	c.BindsFailed += d.BindsFailed
	c.Searches += d.Searches
	c.StartTLS += d.StartTLS
	for dn, n := range d.BindsByDN {
		c.BindsByDN[dn] += n
	}
}

// newRun drains the previous run's file (its slapd has exited) and
// switches to path.
func (l *statsLog) newRun(path string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.endRunLocked()
	l.path, l.offset, l.partial = path, 0, nil
}

// ignorePeer marks the next connection from addr (ip:port) as the
// harness's own.
func (l *statsLog) ignorePeer(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ignore[addr] = true
}

// finish drains the current file before the directory is removed.
func (l *statsLog) finish() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.endRunLocked()
	l.path = ""
}

// endRunLocked reads the rest of a finished run. Operations whose ACCEPT
// line never appeared (slapd killed mid-write) are counted: better a
// visible surplus than a hidden request.
func (l *statsLog) endRunLocked() {
	_ = l.readLocked()
	for _, cs := range l.conns {
		if cs.buf != nil {
			l.total.add(*cs.buf)
		}
	}
	l.conns = map[int]*connState{}
	l.pending = map[opKey]bool{}
	l.ignore = map[string]bool{}
}

func (l *statsLog) snapshot(settle bool) (Counts, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.settleLocked(settle); err != nil {
		return Counts{}, err
	}
	return l.total.Sub(l.baseline), nil
}

func (l *statsLog) reset(settle bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.settleLocked(settle); err != nil {
		return err
	}
	l.baseline = l.total.clone()
	return nil
}

func (l *statsLog) settleLocked(settle bool) error {
	deadline := time.Now().Add(settleTimeout)
	for {
		if err := l.readLocked(); err != nil {
			return err
		}
		if !settle || l.settledLocked() || time.Now().After(deadline) {
			return nil
		}
		time.Sleep(time.Millisecond)
	}
}

func (l *statsLog) settledLocked() bool {
	if len(l.pending) > 0 {
		return false
	}
	for _, cs := range l.conns {
		if cs.buf != nil {
			return false
		}
	}
	return true
}

// readLocked parses whatever slapd has appended since the last call.
func (l *statsLog) readLocked() error {
	if l.path == "" {
		return nil
	}
	f, err := os.Open(l.path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(l.offset, io.SeekStart); err != nil {
		return err
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	l.offset += int64(len(data))
	if len(l.partial) > 0 {
		data = append(l.partial, data...)
		l.partial = nil
	}
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			// A line still being written; keep it for the next read.
			l.partial = append([]byte(nil), data...)
			break
		}
		l.parseLine(string(data[:i]))
		data = data[i+1:]
	}
	return nil
}

func (l *statsLog) conn(id int) *connState {
	cs := l.conns[id]
	if cs == nil {
		cs = &connState{}
		l.conns[id] = cs
	}
	return cs
}

// parseLine handles the stats lines slapd 2.5 writes, e.g.
//
//	6b0b9361.1e79ce9d 0x7ff5 conn=1001 fd=12 ACCEPT from IP=127.0.0.1:38728 (IP=127.0.0.1:38999)
//	... conn=1000 fd=13 ACCEPT from PATH=/tmp/slapdtest-1/ldapi (PATH=/tmp/slapdtest-1/ldapi)
//	... conn=1001 op=0 BIND dn="uid=a,dc=example,dc=org" method=128
//	... conn=1001 op=0 BIND dn="uid=a,dc=example,dc=org" mech=SIMPLE bind_ssf=0 ssf=0
//	... conn=1001 op=0 RESULT tag=97 err=49 qtime=0.000017 etime=0.000229 text=
//	... conn=1003 op=1 SRCH base="dc=example,dc=org" scope=2 deref=0 filter="(objectClass=*)"
//	... conn=1003 op=1 SEARCH RESULT tag=101 err=0 qtime=... nentries=1 text=
//	... conn=1004 op=0 EXT oid=1.3.6.1.4.1.1466.20037
//	... conn=1001 fd=12 closed (connection lost)
func (l *statsLog) parseLine(line string) {
	i := strings.Index(line, "conn=")
	if i < 0 || (i > 0 && line[i-1] != ' ') {
		return // also skips "connection_input: conn=..." debris
	}
	id, rest, ok := leadingInt(line[i+len("conn="):])
	if !ok || !strings.HasPrefix(rest, " ") {
		return
	}
	rest = rest[1:]
	if strings.HasPrefix(rest, "fd=") {
		l.parseConnLine(id, rest)
		return
	}
	if !strings.HasPrefix(rest, "op=") {
		return
	}
	cs := l.conn(id)
	if cs.class == connHarness {
		return
	}
	op, rest, ok := leadingInt(rest[len("op="):])
	if !ok || !strings.HasPrefix(rest, " ") {
		return
	}
	rest = rest[1:]
	target := &l.total
	if cs.class == connUnknown {
		if cs.buf == nil {
			b := newCounts()
			cs.buf = &b
		}
		target = cs.buf
	}
	key := opKey{id, op}
	switch {
	case strings.HasPrefix(rest, `BIND dn="`):
		// The request line ends in method=N; a successful bind logs a
		// second BIND line ending in ssf=N, which must not count twice.
		end := strings.LastIndex(rest, `" method=`)
		if end < 0 {
			return
		}
		target.Binds++
		target.BindsByDN[rest[len(`BIND dn="`):end]]++
		l.pending[key] = true
	case strings.HasPrefix(rest, "SRCH base="):
		target.Searches++
		l.pending[key] = true
	case strings.HasPrefix(rest, "EXT oid=1.3.6.1.4.1.1466.20037"):
		target.StartTLS++
	case strings.HasPrefix(rest, "RESULT tag=97 "):
		if code, ok := fieldInt(rest, " err="); ok {
			if code == 0 {
				target.BindsOK++
			} else {
				target.BindsFailed++
			}
		}
		delete(l.pending, key)
	case strings.HasPrefix(rest, "RESULT ") || strings.HasPrefix(rest, "SEARCH RESULT "):
		delete(l.pending, key)
	}
}

// parseConnLine handles "fd=N ACCEPT from ..." and "fd=N closed".
func (l *statsLog) parseConnLine(id int, rest string) {
	const fromIP, fromPath = " ACCEPT from IP=", " ACCEPT from PATH="
	switch {
	case strings.Contains(rest, fromPath):
		l.markHarness(id)
	case strings.Contains(rest, fromIP):
		from := rest[strings.Index(rest, fromIP)+len(fromIP):]
		if j := strings.IndexByte(from, ' '); j >= 0 {
			from = from[:j]
		}
		if l.ignore[from] {
			delete(l.ignore, from)
			l.markHarness(id)
			return
		}
		cs := l.conn(id)
		cs.class = connClient
		l.total.Connections++
		if cs.buf != nil {
			l.total.add(*cs.buf)
			cs.buf = nil
		}
	case strings.HasSuffix(rest, " closed") || strings.Contains(rest, " closed ("):
		l.dropPending(id)
		// Forget classified connections (memory stays flat under load);
		// an unknown one keeps its buffer until its ACCEPT line arrives.
		if cs := l.conns[id]; cs != nil && cs.class != connUnknown {
			delete(l.conns, id)
		}
	}
}

// markHarness drops whatever the connection logged before its ACCEPT line.
func (l *statsLog) markHarness(id int) {
	cs := l.conn(id)
	cs.class, cs.buf = connHarness, nil
	l.dropPending(id)
}

func (l *statsLog) dropPending(id int) {
	for k := range l.pending {
		if k.conn == id {
			delete(l.pending, k)
		}
	}
}

func leadingInt(s string) (int, string, bool) {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	v, err := strconv.Atoi(s[:n])
	return v, s[n:], err == nil
}

func fieldInt(s, name string) (int, bool) {
	i := strings.Index(s, name)
	if i < 0 {
		return 0, false
	}
	v, _, ok := leadingInt(s[i+len(name):])
	return v, ok
}
