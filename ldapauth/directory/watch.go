package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ldap "github.com/go-ldap/ldap/v3"
)

// A Watcher follows changes under a directory's user and group bases and
// tells its sinks which cached decisions to drop. One Watcher serves every
// API on the same directory in a process; it runs one goroutine, started
// by NewWatcher and ended by Close.
//
// Mechanisms, best first: RFC 4533 content synchronisation (refresh and
// persist) where the server offers it (OpenLDAP's syncprov overlay): the
// server pushes each change as it is committed; otherwise polling for
// entries changed since the last look (uSNChanged on Active Directory,
// modifyTimestamp elsewhere) plus a check that the entries cached decisions
// depend on still exist (a delete leaves no changed entry behind).
//
// Fail safe: after a gap (a dropped connection, a restarted server) every
// sink is told to Resync, i.e. drop everything, once the watch is live
// again; while no watch is live, decisions live at most their configured
// time to live.
type Watcher struct {
	opts  WatchOptions
	log   *slog.Logger
	bases []string

	mu    sync.Mutex
	sinks map[*sinkHandle]struct{}

	live      atomic.Bool
	everLive  atomic.Bool  // a session went live before: a new one follows a gap
	mechanism atomic.Value // Mechanism in use (or last tried)
	caps      atomic.Value // Capabilities of the server last connected to
	lastErr   atomic.Value // string: why the last session ended
	events    atomic.Uint64

	// The goroutine runs while anything cached depends on the directory:
	// it ends after IdleAfter with nothing tracked, and Wake starts it
	// again, so a watch never outlives the decisions it protects.
	runMu   sync.Mutex
	closed  bool
	running atomic.Bool
	cancel  context.CancelFunc
	done    chan struct{}
	src     *watchSource
	conn    atomic.Pointer[ldap.Conn] // the session's connection, closed by Close to unblock it
}

// ChangeSink receives what a Watcher learns. Its methods are called from
// the watcher's goroutine, one at a time, and must not block.
type ChangeSink interface {
	// Changed reports entries that changed, as dependency keys (see
	// DependencyKeys): drop every decision indexed under any of them.
	Changed(keys []string)
	// Resync reports that changes may have been missed: drop everything.
	Resync()
	// Tracked lists the normalised DNs the sink's decisions depend on, so
	// that polling can notice deleted and renamed entries.
	Tracked() []string
}

// ServerSource is a sink that knows the directory's current servers
// (*Directory is one); the watch connects to what it says.
type ServerSource interface {
	CurrentServers(ctx context.Context) ([]Server, error)
}

// servers returns the servers to connect to now.
func (w *Watcher) servers(ctx context.Context, fixed []Server) ([]Server, error) {
	if w.opts.Servers != nil {
		return w.opts.Servers(ctx)
	}
	var sources []ServerSource
	w.each(func(s ChangeSink) {
		if src, ok := s.(ServerSource); ok {
			sources = append(sources, src)
		}
	})
	var lastErr error
	for _, src := range sources {
		list, err := src.CurrentServers(ctx)
		if err == nil && len(list) > 0 {
			return list, nil
		}
		lastErr = err
	}
	if len(fixed) > 0 {
		return fixed, nil
	}
	if lastErr == nil {
		lastErr = errors.New("no directory server known yet")
	}
	return nil, lastErr
}

// WatchMode says which mechanisms a Watcher may use.
type WatchMode string

const (
	// WatchAuto uses content synchronisation where offered, else polling.
	WatchAuto WatchMode = "auto"
	// WatchPoll always polls.
	WatchPoll WatchMode = "poll"
)

// Mechanism names how a directory is watched.
type Mechanism string

const (
	MechanismNone     Mechanism = "none"
	MechanismSyncrepl Mechanism = "syncrepl"             // RFC 4533 refresh and persist
	MechanismPollUSN  Mechanism = "poll-uSNChanged"      // Active Directory
	MechanismPollTime Mechanism = "poll-modifyTimestamp" // any LDAP server
)

// WatchOptions configures a Watcher beyond the directory's Options.
type WatchOptions struct {
	// Mode is WatchAuto (default) or WatchPoll.
	Mode WatchMode
	// PollInterval is how often polling looks for changes (default 1s).
	PollInterval time.Duration
	// Servers, when set, is asked for the servers on every (re)connect, in
	// order of preference. Default: the first sink that is a ServerSource
	// and has servers (the directory of an API using the watch, which may
	// find its servers through DNS and change them at runtime), else the
	// Options' Servers.
	Servers func(ctx context.Context) ([]Server, error)
	// OnEvent, when set, is called for every change or resync delivered
	// (for metrics); it must not block.
	OnEvent func(mechanism Mechanism, resync bool, keys int)
	// IdleAfter ends the watch's goroutine after this long with nothing
	// tracked by any sink (default DefaultIdleAfter); Wake restarts it.
	IdleAfter time.Duration
}

// DefaultIdleAfter is WatchOptions.IdleAfter's default.
const DefaultIdleAfter = time.Minute

// errIdle ends a session when nothing cached depends on the directory.
var errIdle = errors.New("nothing cached depends on the directory")

// DefaultPollInterval is WatchOptions.PollInterval's default.
const DefaultPollInterval = time.Second

// Backoff between reconnects of a watch.
const (
	watchMinBackoff = 100 * time.Millisecond
	watchMaxBackoff = 10 * time.Second
	// watchRefusedBackoff is the wait after the directory refused the
	// watch's configuration (the service account's password above all).
	// Retrying that every few seconds would be a password guess each time:
	// Active Directory counts them and locks the service account, taking
	// every API that uses it down. A fixed configuration is a new watch.
	watchRefusedBackoff = 15 * time.Minute
)

// retryAfter is how long a watch waits after a session ended with err,
// given its current backoff.
func retryAfter(err error, backoff time.Duration) time.Duration {
	if KindOf(err) == KindMisconfigured {
		return watchRefusedBackoff
	}
	return backoff
}

// WatchBases returns the subtrees a watch covers: where users live and
// where groups live, without one inside another.
func (o *Options) WatchBases() []string {
	var bases []string
	user := o.SearchBaseDN
	if user == "" {
		user = o.BindTemplate.EntryBase()
	}
	for _, b := range []string{user, o.Groups.BaseDN} {
		if b == "" {
			continue
		}
		covered := false
		for i, have := range bases {
			switch {
			case IsUnder(b, have):
				covered = true
			case IsUnder(have, b):
				bases[i] = b
				covered = true
			}
		}
		if !covered {
			bases = append(bases, b)
		}
	}
	return slices.Compact(bases)
}

// NewWatcher starts watching the directory opts describes, with opts's
// service account. It needs a service account: a watch reads entries the
// users cannot read about each other.
func NewWatcher(opts Options, wopts WatchOptions) (*Watcher, error) {
	opts.withDefaults()
	if opts.BindDN == "" {
		return nil, errors.New("directory: a watch needs a service account (bind_dn)")
	}
	bases := opts.WatchBases()
	if len(bases) == 0 {
		return nil, errors.New("directory: nothing to watch: no user or group base")
	}
	if wopts.Mode == "" {
		wopts.Mode = WatchAuto
	}
	if wopts.PollInterval <= 0 {
		wopts.PollInterval = DefaultPollInterval
	}
	if wopts.IdleAfter <= 0 {
		wopts.IdleAfter = DefaultIdleAfter
	}
	w := &Watcher{
		opts:  wopts,
		log:   opts.Logger,
		bases: bases,
		sinks: map[*sinkHandle]struct{}{},
	}
	w.mechanism.Store(MechanismNone)
	w.src = &watchSource{opts: opts, bases: bases, pollEvery: wopts.PollInterval, w: w}
	w.runMu.Lock()
	w.start()
	w.runMu.Unlock()
	return w, nil
}

// start runs the watch's goroutine; runMu is held.
func (w *Watcher) start() {
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel, w.done = cancel, make(chan struct{})
	w.running.Store(true)
	go w.run(ctx, w.src, w.done)
}

// Wake starts the watch again if it ended for want of anything to watch.
// Callers call it after caching a decision that depends on the directory.
func (w *Watcher) Wake() {
	if w.running.Load() {
		return
	}
	w.runMu.Lock()
	defer w.runMu.Unlock()
	if !w.closed && !w.running.Load() {
		w.start()
	}
}

// Running reports whether the watch's goroutine runs.
func (w *Watcher) Running() bool { return w.running.Load() }

// idle reports whether nothing has been tracked since *busy plus
// IdleAfter, moving *busy to now while something is.
func (w *Watcher) idle(tracked int, busy *time.Time) bool {
	if tracked > 0 {
		*busy = time.Now()
		return false
	}
	return time.Since(*busy) >= w.opts.IdleAfter
}

type sinkHandle struct{ sink ChangeSink }

// Subscribe adds a sink; the returned function removes it. A new sink
// starts empty, so it needs no resync.
func (w *Watcher) Subscribe(s ChangeSink) (unsubscribe func()) {
	h := &sinkHandle{sink: s}
	w.mu.Lock()
	w.sinks[h] = struct{}{}
	w.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			w.mu.Lock()
			delete(w.sinks, h)
			w.mu.Unlock()
		})
	}
}

// Close stops the watch and waits for its goroutine to end. Closing the
// connection ends an operation in flight at once.
func (w *Watcher) Close() {
	w.runMu.Lock()
	w.closed = true
	cancel, done := w.cancel, w.done
	w.runMu.Unlock()
	cancel()
	if c := w.conn.Load(); c != nil {
		c.Close()
	}
	<-done
}

// Live reports whether changes are being followed right now.
func (w *Watcher) Live() bool { return w.live.Load() }

// Mechanism reports the mechanism in use, or last tried.
func (w *Watcher) Mechanism() Mechanism { return w.mechanism.Load().(Mechanism) }

// Events reports how many changes and resyncs were delivered.
func (w *Watcher) Events() uint64 { return w.events.Load() }

func (w *Watcher) each(fn func(ChangeSink)) {
	w.mu.Lock()
	sinks := make([]ChangeSink, 0, len(w.sinks))
	for h := range w.sinks {
		sinks = append(sinks, h.sink)
	}
	w.mu.Unlock()
	for _, s := range sinks {
		fn(s)
	}
}

// changed delivers changed entries to every sink.
func (w *Watcher) changed(changes []Change) {
	if len(changes) == 0 {
		return
	}
	var keys []string
	for _, c := range changes {
		keys = append(keys, c.Keys()...)
	}
	w.events.Add(1)
	end := watchDelivery("change", len(keys), w.Mechanism())
	w.each(func(s ChangeSink) { s.Changed(keys) })
	end()
	if w.opts.OnEvent != nil {
		w.opts.OnEvent(w.Mechanism(), false, len(keys))
	}
}

// resync tells every sink to drop everything.
func (w *Watcher) resync() {
	w.events.Add(1)
	end := watchDelivery("resync", 0, w.Mechanism())
	w.each(func(s ChangeSink) { s.Resync() })
	end()
	if w.opts.OnEvent != nil {
		w.opts.OnEvent(w.Mechanism(), true, 0)
	}
}

// tracked is the union of the sinks' tracked DNs.
func (w *Watcher) tracked() []string {
	var all []string
	w.each(func(s ChangeSink) { all = append(all, s.Tracked()...) })
	slices.Sort(all)
	return slices.Compact(all)
}

// run keeps a watch going until ctx ends: connect, follow, and on any
// failure log once, back off and start again.
func (w *Watcher) run(ctx context.Context, src *watchSource, done chan struct{}) {
	paused := false
	defer func() {
		w.runMu.Lock()
		w.running.Store(false)
		// A decision cached while the watch was deciding to pause found it
		// still running and did not wake it: look once more.
		if paused && !w.closed && len(w.tracked()) > 0 {
			w.start()
		}
		w.runMu.Unlock()
		close(done)
	}()
	defer func() {
		if r := recover(); r != nil {
			if w.live.Swap(false) {
				watchLive(-1)
			}
			w.log.Error("directory watch stopped by a fault; cached decisions live at most cache_ttl", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	backoff := watchMinBackoff
	downLogged := false
	busy := time.Now()
	for ctx.Err() == nil {
		started := time.Now()
		mech, err := w.follow(ctx, src)
		wasLive := w.live.Swap(false)
		if wasLive {
			watchLive(-1)
		}
		if ctx.Err() != nil {
			if wasLive {
				w.log.Info("directory watch stopped", "mechanism", string(mech))
			}
			return
		}
		if errors.Is(err, errIdle) || w.idle(len(w.tracked()), &busy) {
			w.log.Info("directory watch paused: nothing cached depends on the directory", "bases", strings.Join(w.bases, "; "))
			paused = true
			return
		}
		w.lastErr.Store(errString(err))
		if wasLive {
			w.log.Warn("directory watch lost; cached decisions now live at most cache_ttl until it is back",
				"mechanism", string(mech), "bases", strings.Join(w.bases, "; "), "error", errString(err))
			downLogged = true
			backoff = watchMinBackoff
		} else if !downLogged {
			w.log.Warn("directory watch not running; cached decisions live at most cache_ttl until it starts",
				"bases", strings.Join(w.bases, "; "), "error", errString(err))
			downLogged = true
		}
		if time.Since(started) > watchMaxBackoff {
			backoff = watchMinBackoff
		}
		select {
		case <-ctx.Done():
		case <-time.After(retryAfter(err, backoff)):
		}
		backoff = min(backoff*2, watchMaxBackoff)
	}
}

// follow runs one watch session; it returns when the session fails or ctx
// ends. A panic ends the session like an error.
func (w *Watcher) follow(ctx context.Context, src *watchSource) (mech Mechanism, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("directory watch panicked: %v\n%s", r, debug.Stack())
		}
	}()
	conn, srv, err := src.connect(ctx)
	if err != nil {
		return MechanismNone, err
	}
	defer conn.Close()
	w.conn.Store(conn)
	defer w.conn.Store(nil)
	if ctx.Err() != nil {
		return MechanismNone, ctx.Err()
	}
	mech = MechanismPollTime
	switch {
	case w.opts.Mode == WatchAuto && src.offersSyncrepl:
		mech = MechanismSyncrepl
	case src.activeDirectory:
		mech = MechanismPollUSN
	}
	w.mechanism.Store(mech)
	if mech == MechanismSyncrepl {
		err = src.syncrepl(ctx, conn, srv)
		if !errors.Is(err, errSyncreplRefused) {
			return mech, err
		}
		w.log.Warn("the directory offers content synchronisation but refused it to the service account; falling back to polling",
			"server", srv.URL, "error", err.Error())
		mech = MechanismPollTime
		if src.activeDirectory {
			mech = MechanismPollUSN
		}
		w.mechanism.Store(mech)
	}
	return mech, src.poll(ctx, conn, srv, mech)
}

// becameLive is called by a mechanism once it follows changes. After a
// gap (an earlier session was live, then dropped) every sink drops what it
// cached, because changes during the gap were not followed. The first
// session resyncs nothing: decisions cached before any watch was live were
// never promised more than their cache_ttl.
func (w *Watcher) becameLive(mech Mechanism, srv Server) {
	if w.everLive.Swap(true) {
		w.resync()
	}
	if !w.live.Swap(true) {
		watchLive(1)
	}
	w.log.Info("directory watch started", "mechanism", string(mech), "server", srv.URL, "bases", strings.Join(w.bases, "; "))
}

func errString(err error) string {
	if err == nil {
		return "the watch ended"
	}
	return err.Error()
}

// watchSource is the directory side of a Watcher: connecting, and each
// mechanism's protocol.
type watchSource struct {
	opts      Options
	bases     []string
	pollEvery time.Duration
	w         *Watcher

	offersSyncrepl  bool
	activeDirectory bool
	highestUSN      string
	cookies         [][]byte // per base, from the last content synchronisation
}

// connect dials the servers in order and reads what the first one that
// answers offers.
func (s *watchSource) connect(ctx context.Context) (*ldap.Conn, Server, error) {
	lookup, cancel := context.WithTimeout(ctx, s.opts.DialTimeout)
	servers, err := s.w.servers(lookup, s.opts.Servers)
	cancel()
	if err != nil {
		return nil, Server{}, err
	}
	var lastErr error = errors.New("no servers")
	for _, srv := range servers {
		d := dialer{
			srv: srv, tls: s.opts.TLS.forHost(srv.Host), startTLS: s.opts.StartTLS,
			dialTimeout: s.opts.DialTimeout, requestTimeout: s.opts.RequestTimeout,
			bindDN: s.opts.BindDN, bindPassword: s.opts.BindPassword,
		}
		conn, err := d.dial(ctx)
		if err != nil {
			lastErr = err
			continue
		}
		caps, err := ReadCapabilities(conn)
		if err != nil {
			conn.Close()
			lastErr = err
			continue
		}
		s.offersSyncrepl, s.activeDirectory, s.highestUSN = caps.Syncrepl, caps.ActiveDirectory, caps.HighestUSN
		s.w.caps.Store(caps)
		return conn, srv, nil
	}
	return nil, Server{}, lastErr
}

// Capabilities is what a server's root DSE says about watching it.
type Capabilities struct {
	Syncrepl        bool   // supportedControl lists the RFC 4533 sync request
	ActiveDirectory bool   // supportedCapabilities lists Active Directory
	DirSync         bool   // supportedControl lists AD DirSync
	Notification    bool   // supportedControl lists AD change notification
	HighestUSN      string // Active Directory's highestCommittedUSN
}

// Controls a watch looks for in the root DSE.
const (
	controlChangeNotification = "1.2.840.113556.1.4.528"
	controlShowDeleted        = "1.2.840.113556.1.4.417"
)

// ReadCapabilities reads the root DSE on c.
func ReadCapabilities(c *ldap.Conn) (Capabilities, error) {
	res, err := c.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"supportedControl", "supportedCapabilities", "highestCommittedUSN"}, nil))
	if err != nil {
		return Capabilities{}, classifyOp("reading the root DSE", err)
	}
	var caps Capabilities
	if len(res.Entries) == 1 {
		e := res.Entries[0]
		controls := e.GetAttributeValues("supportedControl")
		caps.Syncrepl = slices.Contains(controls, ldap.ControlTypeSyncRequest)
		caps.DirSync = slices.Contains(controls, ldap.ControlTypeDirSync)
		caps.Notification = slices.Contains(controls, controlChangeNotification)
		caps.ActiveDirectory = slices.Contains(e.GetAttributeValues("supportedCapabilities"), activeDirectoryCapability)
		caps.HighestUSN = e.GetAttributeValue("highestCommittedUSN")
	}
	return caps, nil
}

// classifyOp wraps a failed watch operation: transport failures are
// KindUnavailable, anything else KindMisconfigured.
func classifyOp(what string, err error) error {
	if isTransport(err) {
		return unavailable(what+" failed", err)
	}
	return misconfigured(what+" failed", err)
}

// Capabilities returns what the server the watch last connected to
// offers.
func (w *Watcher) Capabilities() Capabilities {
	c, _ := w.caps.Load().(Capabilities)
	return c
}

// LastError says why the last watch session ended, or "" if none has.
func (w *Watcher) LastError() string {
	s, _ := w.lastErr.Load().(string)
	return s
}
