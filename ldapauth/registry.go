package ldapauth

import (
	"sync"
)

// APISource is what the gateway binding reads from an API definition.
type APISource struct {
	Info APIInfo
	// Config is the plugin configuration (config_data, or the OAS plugin
	// config data value).
	Config map[string]interface{}
	// DisabledBy names the setting that switched the configuration off
	// (e.g. "config_data_disabled"), or is empty.
	DisabledBy string
}

// Registry keeps one Gate per API and rebuilds it only when the API's
// configuration changes. Tyk hands the plugin the same definition object on
// every request until the API is reloaded, so the object's identity is the
// lookup key: a request costs one map read, with no copy or hash of the
// definition. A reload brings a new object; its configuration is parsed
// once, and if it is unchanged the existing Gate (and its warm cache and
// connections) is kept, otherwise the old Gate is closed.
type Registry struct {
	log Logger

	byDefinition sync.Map // definition identity (any comparable) -> *apiEntry

	mu   sync.Mutex
	byID map[string]*apiEntry
}

type apiEntry struct {
	key  interface{}
	gate *Gate
	err  error // the configuration error, when the API cannot be served
	fp   [32]byte
	info APIInfo
}

// NewRegistry returns an empty registry that logs through log.
func NewRegistry(log Logger) *Registry {
	if log == nil {
		log = NopLogger{}
	}
	return &Registry{log: log, byID: make(map[string]*apiEntry)}
}

// Lookup returns the gate for the API whose definition is identified by key,
// if that definition has been admitted before. This is the per-request path:
// one map read. The error is non-nil when the API's configuration is
// unusable (it was logged when the definition was admitted).
func (reg *Registry) Lookup(key interface{}) (gate *Gate, err error, found bool) {
	if e, ok := reg.byDefinition.Load(key); ok {
		entry := e.(*apiEntry)
		return entry.gate, entry.err, true
	}
	return nil, nil, false
}

// Admit registers a definition seen for the first time, described by src,
// and returns its gate. It reuses the API's existing gate when the
// configuration is unchanged and replaces (and closes) it otherwise.
// Configuration errors are logged once here, naming the API and every
// offending key.
func (reg *Registry) Admit(key interface{}, src APISource) (*Gate, error) {
	return reg.admit(key, src)
}

func (reg *Registry) admit(key interface{}, src APISource) (*Gate, error) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if e, ok := reg.byDefinition.Load(key); ok { // another request admitted it
		entry := e.(*apiEntry)
		return entry.gate, entry.err
	}
	entry := &apiEntry{key: key, info: src.Info}
	var cfg *Config
	if src.DisabledBy != "" {
		entry.err = &ConfigError{Key: src.DisabledBy, Problem: "the plugin configuration is disabled; enable it to use LDAP authentication"}
	} else {
		cfg, entry.err = ParseConfig(src.Config)
	}

	old := reg.byID[src.Info.ID]
	switch {
	case entry.err != nil:
		reg.logConfigError(src.Info, entry.err)
	case old != nil && old.err == nil && old.fp == cfg.Fingerprint && old.info.equal(src.Info):
		entry.gate, entry.fp = old.gate, old.fp // unchanged: keep cache and pools
		old = nil
	default:
		entry.gate, entry.fp = NewGate(src.Info, cfg, reg.log), cfg.Fingerprint
		if entry.gate.RandomSessionSecret() {
			reg.log.Infof("ldapauth: API %s (%s): no session_key_secret set; session IDs are per gateway process, so rate limits and quotas are counted per node",
				src.Info.ID, src.Info.Name)
		}
		reg.log.Infof("ldapauth: API %s (%s): LDAP authentication configured (%d server(s), %s)",
			src.Info.ID, src.Info.Name, len(cfg.Servers), modeName(cfg))
	}
	if prev := reg.byID[src.Info.ID]; prev != nil {
		reg.byDefinition.Delete(prev.key)
	}
	if old != nil && old.gate != nil && old.gate != entry.gate {
		old.gate.Close()
	}
	reg.byID[src.Info.ID] = entry
	reg.byDefinition.Store(key, entry)
	return entry.gate, entry.err
}

func (reg *Registry) logConfigError(api APIInfo, err error) {
	for _, e := range unjoin(err) {
		reg.log.Errorf("ldapauth: API %s (%s): %v; requests to this API are answered 500 until it is fixed", api.ID, api.Name, e)
	}
}

// Close closes every gate (used by tests and the contract host).
func (reg *Registry) Close() {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	for id, e := range reg.byID {
		if e.gate != nil {
			e.gate.Close()
		}
		reg.byDefinition.Delete(e.key)
		delete(reg.byID, id)
	}
}

// Len reports how many APIs the registry tracks.
func (reg *Registry) Len() int {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	return len(reg.byID)
}

func modeName(cfg *Config) string {
	if cfg.SearchMode() {
		return "search then bind"
	}
	return "direct bind"
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
