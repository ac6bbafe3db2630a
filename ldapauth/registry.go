package ldapauth

import (
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/internal/logx"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/state"
)

// APISource is what the gateway binding reads from an API definition.
type APISource struct {
	Info APIInfo
	// Config is the plugin configuration (config_data, or the OAS plugin
	// config data value).
	Config map[string]any
	// DisabledBy names the setting that switched the configuration off
	// (e.g. "config_data_disabled"), or is empty.
	DisabledBy string
	// Unsupported, when set, is a setting of the API definition the plugin
	// cannot honour; the API is answered 500 and the problem logged.
	Unsupported *ConfigError
}

// Bounds on what the registry keeps per API. During a reload, requests
// carrying the old definition and requests carrying the new one arrive
// interleaved; keeping the gates of the last two configurations serves
// both without rebuilding either.
const (
	gatesPerAPI       = 2
	definitionsPerAPI = 8
)

// Registry keeps the Gates of every API and rebuilds one only when the
// API's configuration changes. Tyk hands the plugin the same definition
// object on every request until the API is reloaded, so the object's
// identity is the lookup key: a request costs one map read, with no copy or
// hash of the definition. A new object's configuration is parsed once; if
// it equals one the API already has a gate for, that gate (with its warm
// cache and connections) serves it.
type Registry struct {
	log  *slog.Logger
	opts RegistryOptions
	now  func() time.Time

	byDefinition sync.Map // definition identity (any comparable) -> *apiEntry

	mu   sync.Mutex
	apis map[string]*apiState // by API ID

	shared  sharedSet
	watches watchSet
}

// RegistryOptions is what the gateway binding tells the registry about the
// gateway.
type RegistryOptions struct {
	// Logger receives every line; nil discards them.
	Logger *slog.Logger
	// GatewayRedis returns the gateway's own Redis settings, used by APIs
	// with shared_state "redis" and no redis_url. Nil: such APIs need
	// redis_url.
	GatewayRedis func() (state.RedisOptions, error)
	// OnRevocation, when set, is called for every change or resync a
	// directory watch delivers (for metrics); keys is how many dependency
	// keys it named. It runs on the watch's goroutine and must not block.
	OnRevocation func(mechanism string, resync bool, keys int)
}

type apiEntry struct {
	gate *Gate
	live *liveGate // the registry's record of gate; nil with err
	err  error     // the configuration error, when the API cannot be served
}

// apiState is what the registry holds for one API ID.
type apiState struct {
	gates []*liveGate // oldest first
	defs  []any       // definition keys admitted, oldest first
}

type liveGate struct {
	gate *Gate
	fp   [32]byte
	info APIInfo
	// lastUsed is the Unix second of the last request the gate served,
	// written at most once a second.
	lastUsed atomic.Int64
}

// used records a request served now. Stores only when the second changes,
// so concurrent requests share a cache line they mostly read.
func (lg *liveGate) used(now time.Time) {
	if s := now.Unix(); lg.lastUsed.Load() != s {
		lg.lastUsed.Store(s)
	}
}

// Gates unused this long are closed when the registry admits a definition
// (a reload): Tyk tells a plugin nothing when it deletes an API, so an API
// that no longer gets requests is the only sign. The wait is at least
// minIdleBeforeClose, and never shorter than what closing would forget:
// a lock (failure_window, client_failure_window) or a decision that could
// still be served (cache_ttl + stale_if_error). A closed gate's next
// request builds a new one.
const minIdleBeforeClose = time.Hour

func idleBeforeClose(cfg *Config) time.Duration {
	return max(minIdleBeforeClose, cfg.FailureWindow, cfg.ClientFailureWindow, cfg.CacheTTL+cfg.StaleIfError)
}

// NewRegistry returns an empty registry.
func NewRegistry(opts RegistryOptions) *Registry {
	if opts.Logger == nil {
		opts.Logger = logx.Discard()
	}
	reg := &Registry{log: opts.Logger, opts: opts, now: time.Now, apis: make(map[string]*apiState), shared: newSharedSet()}
	if opts.OnRevocation != nil {
		reg.watches.onEvent = func(m directory.Mechanism, resync bool, keys int) { opts.OnRevocation(string(m), resync, keys) }
	}
	return reg
}

// Lookup returns the gate for the API whose definition is identified by
// key, if that definition has been admitted before. This is the
// per-request path: one map read. err is non-nil when the API's
// configuration is unusable (it was logged when the definition was
// admitted).
func (reg *Registry) Lookup(key any) (gate *Gate, found bool, err error) {
	if e, ok := reg.byDefinition.Load(key); ok {
		entry := e.(*apiEntry)
		if entry.live != nil {
			entry.live.used(reg.now())
		}
		return entry.gate, true, entry.err
	}
	return nil, false, nil
}

// Admit registers a definition seen for the first time, described by src,
// and returns its gate. The configuration is parsed (which may read files)
// before the registry's lock is taken. Configuration errors are logged once
// here, naming the API and every offending key.
func (reg *Registry) Admit(key any, src APISource) (*Gate, error) {
	var cfg *Config
	var cfgErr error
	switch {
	case src.Unsupported != nil:
		cfgErr = src.Unsupported
	case src.DisabledBy != "":
		cfgErr = &ConfigError{Key: src.DisabledBy, Problem: "the plugin configuration is disabled; enable it to use LDAP authentication"}
	default:
		cfg, cfgErr = ParseConfig(src.Config)
	}
	// A Redis client reads its TLS files when it is made: make it here,
	// before the lock; the shared set keeps one per Redis.
	var redisClient *sharedRedisCandidate
	if cfgErr == nil && cfg.SharedState == SharedRedis {
		redisClient, cfgErr = reg.redisCandidate(cfg)
	}

	reg.mu.Lock()
	defer reg.mu.Unlock()
	if e, ok := reg.byDefinition.Load(key); ok { // another request admitted it
		entry := e.(*apiEntry)
		return entry.gate, entry.err
	}
	reg.closeIdle(reg.now())
	api := reg.apis[src.Info.ID]
	if api == nil {
		api = &apiState{}
		reg.apis[src.Info.ID] = api
	}
	entry := &apiEntry{err: cfgErr}
	switch {
	case cfgErr != nil:
		reg.logConfigError(src.Info, cfgErr)
	default:
		entry.live, entry.err = reg.gateFor(api, src.Info, cfg, redisClient)
		if entry.live != nil {
			entry.gate = entry.live.gate
			entry.live.used(reg.now())
		}
	}
	redisClient.discardUnused()
	api.defs = append(api.defs, key)
	if len(api.defs) > definitionsPerAPI {
		reg.byDefinition.Delete(api.defs[0])
		api.defs = slices.Delete(api.defs, 0, 1)
	}
	reg.byDefinition.Store(key, entry)
	return entry.gate, entry.err
}

// gateFor returns the API's gate for cfg, building it when no live gate
// has this configuration. Building one beyond gatesPerAPI closes the
// oldest, and forgets the definitions that used it.
func (reg *Registry) gateFor(api *apiState, info APIInfo, cfg *Config, redisClient *sharedRedisCandidate) (*liveGate, error) {
	for _, lg := range api.gates {
		if lg.fp == cfg.Fingerprint && lg.info.equal(info) {
			return lg, nil
		}
	}
	opts := GateOptions{Logger: reg.log}
	opts.Accounts, opts.Clients, opts.Release = reg.shared.attempts(cfg, redisClient, reg.log.With("api_id", info.ID, "api_name", info.Name))
	gate, err := NewGate(info, cfg, opts)
	if err != nil {
		if opts.Release != nil {
			opts.Release()
		}
		err = &ConfigError{Key: "config_data", Problem: err.Error()}
		reg.logConfigError(info, err)
		return nil, err
	}
	if cfg.Watches() {
		reg.watch(gate, reg.log.With("api_id", info.ID, "api_name", info.Name))
	}
	if gate.RandomSessionSecret() {
		reg.log.Info("no session_key_secret set; session IDs are per gateway process, so rate limits and quotas are counted per node",
			"api_id", info.ID, "api_name", info.Name)
	}
	reg.log.Info("LDAP authentication configured", "api_id", info.ID, "api_name", info.Name,
		"servers", serverSource(cfg), "mode", modeName(cfg))
	live := &liveGate{gate: gate, fp: cfg.Fingerprint, info: info}
	api.gates = append(api.gates, live)
	if len(api.gates) > gatesPerAPI {
		reg.retire(api, api.gates[0])
	}
	return live, nil
}

// retire closes one of api's gates and forgets the definitions it served.
func (reg *Registry) retire(api *apiState, lg *liveGate) {
	api.gates = slices.DeleteFunc(api.gates, func(x *liveGate) bool { return x == lg })
	api.defs = slices.DeleteFunc(api.defs, func(def any) bool {
		if e, ok := reg.byDefinition.Load(def); ok && e.(*apiEntry).gate == lg.gate {
			reg.byDefinition.Delete(def)
			return true
		}
		return false
	})
	lg.gate.Close()
}

// closeIdle closes the gates nobody used for their idleBeforeClose (the
// APIs a reload deleted, among others), releasing their connections,
// caches and shared counters and Redis clients, and forgets APIs left
// with nothing. The caller holds reg.mu.
func (reg *Registry) closeIdle(now time.Time) {
	for id, api := range reg.apis {
		retired := false
		for _, lg := range slices.Clone(api.gates) {
			if now.Sub(time.Unix(lg.lastUsed.Load(), 0)) > idleBeforeClose(lg.gate.Config()) {
				reg.log.Info("closing the LDAP authentication of an API that got no request for a long time; its next request sets it up again",
					"api_id", lg.info.ID, "api_name", lg.info.Name)
				reg.retire(api, lg)
				retired = true
			}
		}
		if retired && len(api.gates) == 0 {
			for _, def := range api.defs {
				reg.byDefinition.Delete(def)
			}
			delete(reg.apis, id)
		}
	}
}

func (reg *Registry) logConfigError(api APIInfo, err error) {
	var joined interface{ Unwrap() []error }
	errs := []error{err}
	if errors.As(err, &joined) {
		errs = joined.Unwrap()
	}
	for _, e := range errs {
		attrs := []any{"api_id", api.ID, "api_name", api.Name, "error", e.Error()}
		var ce *ConfigError
		if errors.As(e, &ce) {
			attrs = append(attrs, "key", ce.Key)
		}
		reg.log.Error("invalid plugin configuration; requests to this API are answered 500 until it is fixed", attrs...)
	}
}

// Close closes every gate (used by tests and the contract host).
func (reg *Registry) Close() {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	for id, api := range reg.apis {
		for _, def := range api.defs {
			reg.byDefinition.Delete(def)
		}
		for _, lg := range api.gates {
			lg.gate.Close()
		}
		delete(reg.apis, id)
	}
}

// serverSource says where the servers come from, for the log.
func serverSource(cfg *Config) string {
	if disc := cfg.Directory.Discovery; disc != nil {
		return "DNS SRV records of " + disc.Domain
	}
	return strconv.Itoa(len(cfg.Directory.Servers)) + " configured"
}

func modeName(cfg *Config) string {
	if cfg.SearchMode() {
		return "search then bind"
	}
	return "direct bind"
}

// directoryScope names the directory a configuration authenticates
// against: its server URLs in order-independent form plus the base its
// users live under. APIs with the same scope share failure counts.
func directoryScope(cfg *Config) string {
	urls := make([]string, 0, len(cfg.Directory.Servers))
	for _, s := range cfg.Directory.Servers {
		urls = append(urls, s.Scheme+"://"+strings.ToLower(s.Addr))
	}
	if disc := cfg.Directory.Discovery; disc != nil {
		// Every API on one domain shares counts, whichever site it prefers.
		urls = append(urls, "dns:"+strings.ToLower(disc.Domain))
	}
	slices.Sort(urls)
	base := cfg.Directory.SearchBaseDN
	if base == "" {
		base = cfg.Directory.BindTemplate.EntryBase()
	}
	return strings.Join(urls, " ") + "|" + directory.NormalizeDN(base)
}

// redisCandidate makes a client for the Redis cfg uses; the shared set
// keeps it only if it holds no client for that Redis yet.
func (reg *Registry) redisCandidate(cfg *Config) (*sharedRedisCandidate, error) {
	var o state.RedisOptions
	switch {
	case cfg.Redis != nil:
		o = *cfg.Redis
	case reg.opts.GatewayRedis != nil:
		var err error
		if o, err = reg.opts.GatewayRedis(); err != nil {
			return nil, &ConfigError{Key: "shared_state", Problem: "the gateway's Redis settings cannot be used: " + err.Error()}
		}
	default:
		return nil, &ConfigError{Key: "shared_state", Problem: "the gateway's Redis settings are not available here: set redis_url"}
	}
	client, err := state.NewRedisClient(o, cfg.RedisTimeout)
	if err != nil {
		return nil, &ConfigError{Key: "shared_state", Problem: "cannot make a Redis client: " + err.Error()}
	}
	return &sharedRedisCandidate{id: redisIdentity(o, cfg.RedisTimeout), client: client}, nil
}
