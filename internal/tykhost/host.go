package tykhost

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/apidef/oas"
	"github.com/TykTechnologies/tyk/config"
	"github.com/TykTechnologies/tyk/log"
	"github.com/TykTechnologies/tyk/request"
)

// APIs is a set of API definitions to load.
type APIs struct {
	Classic []*apidef.APIDefinition
	OAS     []*oas.OAS
}

// Host serves APIs through Tyk's Go-plugin contract.
type Host struct {
	opts      Options
	loader    *pluginLoader
	policies  *PolicyStore
	sessions  *SessionStore
	limits    *limiter
	analytics analyticsLog

	loadMu sync.Mutex // serialises Load and Reload
	loaded APIs       // the definitions behind the current routes
	routes atomic.Pointer[routeTable]
}

// routeTable maps listen paths to specs, longest listen path first.
type routeTable struct {
	specs []*apiSpec
	byID  map[string]*apiSpec
	// loaded holds every spec in load order, for finding loop and version
	// targets by ID or name (see findAPI).
	loaded []*apiSpec
}

// New returns a host with no APIs. It sets the process-wide config.Global
// from opts, as a gateway does at start (gateway/server.go), so the last
// host created decides what ctx.SetSession sees.
func New(opts Options) *Host {
	opts = opts.withDefaults()
	cfg := config.Config{
		HashKeys:                             opts.HashKeys,
		GlobalSessionLifetime:                opts.GlobalSessionLifetime,
		ForceGlobalSessionLifetime:           opts.ForceGlobalSessionLifetime,
		SessionLifetimeRespectsKeyExpiration: opts.SessionLifetimeRespectsKeyExpiration,
		Storage:                              opts.Storage,
	}
	cfg.HttpServerOptions.XFFDepth = opts.XFFDepth
	config.Global = func() config.Config { return cfg }
	// gateway/server.go sets request.Global from v5.14.0 on; before that
	// request.RealIP reads no configuration.
	request.Global = nil
	if versionAtLeast(opts.GatewayVersion, 5, 14) {
		request.Global = config.Global
	}
	h := &Host{
		opts:     opts,
		loader:   newPluginLoader(opts.GatewayVersion),
		policies: newPolicyStore(),
		sessions: newSessionStore(),
		limits:   newLimiter(),
	}
	h.routes.Store(&routeTable{byID: map[string]*apiSpec{}})
	return h
}

// Policies returns the host's policy store.
func (h *Host) Policies() *PolicyStore { return h.policies }

// Sessions returns the host's session store (the Redis stand-in).
func (h *Host) Sessions() *SessionStore { return h.sessions }

// Analytics returns the records of the requests served so far.
func (h *Host) Analytics() []Record { return h.analytics.snapshot() }

// ResetAnalytics drops the recorded requests.
func (h *Host) ResetAnalytics() { h.analytics.reset() }

// PluginError returns why the API's plugin failed to load, or nil. A failed
// load does not stop the API from loading; it then answers 500.
func (h *Host) PluginError(apiID string) error {
	if s := h.routes.Load().byID[apiID]; s != nil {
		return s.loadErr
	}
	return fmt.Errorf("api %q is not loaded", apiID)
}

// Load replaces every loaded API with these definitions. The host keeps the
// given pointers: each classic definition is what ctx.SetDefinition injects
// until the next Load or Reload. Plugins stay loaded across loads.
func (h *Host) Load(apis APIs) error {
	h.loadMu.Lock()
	defer h.loadMu.Unlock()
	table := &routeTable{byID: make(map[string]*apiSpec)}
	add := func(s *apiSpec) error {
		if s.apiID == "" {
			return fmt.Errorf("API definition without api_id (listen path %q)", s.listenPath)
		}
		if _, dup := table.byID[s.apiID]; dup {
			return fmt.Errorf("duplicate api_id %q", s.apiID)
		}
		h.prepare(s)
		table.byID[s.apiID] = s
		table.specs = append(table.specs, s)
		return nil
	}
	for _, def := range apis.Classic {
		s, err := classicSpec(def)
		if err == nil {
			err = add(s)
		}
		if err != nil {
			return err
		}
	}
	for _, o := range apis.OAS {
		s, err := oasSpec(o)
		if err == nil {
			err = add(s)
		}
		if err != nil {
			return err
		}
	}
	table.loaded = append([]*apiSpec(nil), table.specs...)
	sort.SliceStable(table.specs, func(i, j int) bool {
		return len(table.specs[i].listenPath) > len(table.specs[j].listenPath)
	})
	h.loaded = apis
	h.routes.Store(table)
	return nil
}

// Reload rebuilds every API from copies of the loaded definitions, as
// /tyk/reload re-reads them: each API gets a new definition object (a new
// pointer in the request context) while loaded plugins are reused.
func (h *Host) Reload() error {
	h.loadMu.Lock()
	apis := h.loaded
	h.loadMu.Unlock()
	fresh, err := copyAPIs(apis)
	if err != nil {
		return err
	}
	return h.Load(fresh)
}

func copyAPIs(apis APIs) (APIs, error) {
	var out APIs
	for _, d := range apis.Classic {
		var c apidef.APIDefinition
		if err := roundTrip(d, &c); err != nil {
			return APIs{}, err
		}
		out.Classic = append(out.Classic, &c)
	}
	for _, o := range apis.OAS {
		var c oas.OAS
		if err := roundTrip(o, &c); err != nil {
			return APIs{}, err
		}
		out.OAS = append(out.OAS, &c)
	}
	return out, nil
}

func roundTrip(in, out interface{}) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// prepare loads the spec's plugin and builds its proxy.
func (h *Host) prepare(s *apiSpec) {
	s.proxy = h.newProxy(s)
	if s.auth != authGoPlugin {
		return
	}
	s.handler, s.loadErr = h.loader.handler(s.authCheck.Path, s.authCheck.Name)
	if s.loadErr != nil {
		log.Get().WithError(s.loadErr).WithField("mwPath", s.authCheck.Path).
			WithField("mwSymbolName", s.authCheck.Name).Error("Could not load Go-plugin")
	}
}

// match returns the API whose listen path prefixes path, longest first.
// Internal APIs have no route (gateway/api_loader.go: spec.Internal sets
// chainDef.Skip, so loadHTTPService registers no listen path for them).
func (t *routeTable) match(path string) *apiSpec {
	for _, s := range t.specs {
		if !s.internal && strings.HasPrefix(path, s.listenPath) {
			return s
		}
	}
	return nil
}

// versionAtLeast reports whether a vMAJOR.MINOR.PATCH version is at least
// major.minor.
func versionAtLeast(version string, major, minor int) bool {
	var ma, mi, pa int
	if _, err := fmt.Sscanf(version, "v%d.%d.%d", &ma, &mi, &pa); err != nil {
		return false
	}
	return ma > major || (ma == major && mi >= minor)
}
