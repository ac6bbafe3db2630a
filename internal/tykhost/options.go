package tykhost

import (
	"net/http"
	"time"

	"github.com/TykTechnologies/tyk/config"
)

// PanicMode selects how a panic inside the plugin's handler is handled.
type PanicMode string

const (
	// PanicRecover is Tyk up to v5.11: ProcessRequest recovers and reports
	// a 500 error. The gateway then writes nothing itself (the Go plugin
	// middleware never gets an error body written, see createMiddleware),
	// so the client sees whatever the plugin wrote before panicking, or an
	// empty 200, and analytics record 500. The request is not proxied.
	PanicRecover PanicMode = "5.8"
	// PanicDropConnection is Tyk v5.12 and later: the recovered panic is
	// followed by a second, unrecovered one, so net/http drops the
	// connection and no response reaches the client.
	PanicDropConnection PanicMode = "5.12+"
)

// DefaultGatewayVersion is the version used to build versioned plugin file
// names when Options.GatewayVersion is empty.
const DefaultGatewayVersion = "v5.8.15"

// Options configures a Host.
type Options struct {
	// HashKeys is the gateway's hash_keys. The host publishes it through
	// config.Global, which ctx.SetSession reads.
	HashKeys bool
	// GlobalSessionLifetime, ForceGlobalSessionLifetime and
	// SessionLifetimeRespectsKeyExpiration are the tyk.conf settings
	// global_session_lifetime, force_global_session_lifetime and
	// session_lifetime_respects_key_expiration. They decide, with the API's
	// own settings, the Redis lifetime of every session the host writes
	// (see sessionLifetime), and are published through config.Global too.
	GlobalSessionLifetime                int64
	ForceGlobalSessionLifetime           bool
	SessionLifetimeRespectsKeyExpiration bool
	// Storage is the tyk.conf "storage" section (the gateway's Redis),
	// published through config.Global for plugins that read it.
	Storage config.StorageOptionsConf
	// XFFDepth is tyk.conf http_server_options.xff_depth. From v5.14.0 the
	// gateway publishes its config to request.RealIP (request.Global); the
	// host does the same when GatewayVersion is v5.14.0 or later.
	XFFDepth int
	// GatewayVersion is the gateway version used to look for
	// name_vX.Y.Z_GOOS_GOARCH.so before the configured path.
	GatewayVersion string
	// PanicMode selects the panic behaviour; default PanicRecover.
	PanicMode PanicMode
	// Transport is used by the reverse proxy; nil means a clone of
	// http.DefaultTransport.
	Transport http.RoundTripper
	// Now is the clock for expiry, rate limits and quotas; nil means time.Now.
	Now func() time.Time
	// OpenTelemetry is tyk.conf opentelemetry.enabled: every API runs in
	// a server span from the global tracer provider (see otel.go).
	OpenTelemetry bool
}

func (o Options) withDefaults() Options {
	if o.GatewayVersion == "" {
		o.GatewayVersion = DefaultGatewayVersion
	}
	if o.PanicMode == "" {
		o.PanicMode = PanicRecover
	}
	if o.Transport == nil {
		o.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
