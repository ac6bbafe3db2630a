package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/TykTechnologies/tyk/log"
)

// tykLogger is the gateway's own logger with this plugin's prefix, so lines
// land where the gateway's do, at the gateway's level and in its format
// (text or JSON). Getting it does no I/O. Its type is whatever Tyk's
// log.Get returns (a logrus logger in every supported release); the plugin
// does not import logrus itself, so it never pins a logrus version of its
// own against the gateway's.
var tykLogger = log.Get().WithField("prefix", "ldapauth")

// debugLevel is logrus' DebugLevel, passed as an untyped constant for the
// reason above.
const debugLevel = 5

// gatewayHandler hands slog records to tykLogger, each attribute as a
// logrus field (api_id, user, outcome, ...), so a gateway that logs JSON
// gives parseable records.
type gatewayHandler struct {
	fields map[string]any // attributes added with WithAttrs
	prefix string         // group prefix from WithGroup
}

// Enabled asks the gateway's logger each time for debug records, so a level
// change made by the gateway applies at once; other levels are filtered by
// the gateway's logger itself.
func (h *gatewayHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level > slog.LevelDebug || tykLogger.Logger.IsLevelEnabled(debugLevel)
}

func (h *gatewayHandler) Handle(_ context.Context, r slog.Record) error {
	fields := make(map[string]any, len(h.fields)+r.NumAttrs())
	for k, v := range h.fields {
		fields[k] = v
	}
	r.Attrs(func(a slog.Attr) bool {
		addField(fields, h.prefix, a)
		return true
	})
	entry := tykLogger.WithFields(fields)
	switch {
	case r.Level >= slog.LevelError:
		entry.Error(r.Message)
	case r.Level >= slog.LevelWarn:
		entry.Warn(r.Message)
	case r.Level >= slog.LevelInfo:
		entry.Info(r.Message)
	default:
		entry.Debug(r.Message)
	}
	return nil
}

func (h *gatewayHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	fields := make(map[string]any, len(h.fields)+len(attrs))
	for k, v := range h.fields {
		fields[k] = v
	}
	for _, a := range attrs {
		addField(fields, h.prefix, a)
	}
	return &gatewayHandler{fields: fields, prefix: h.prefix}
}

func (h *gatewayHandler) WithGroup(name string) slog.Handler {
	return &gatewayHandler{fields: h.fields, prefix: h.prefix + name + "."}
}

func addField(fields map[string]any, prefix string, a slog.Attr) {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		for _, inner := range v.Group() {
			addField(fields, prefix+a.Key+".", inner)
		}
		return
	}
	fields[prefix+a.Key] = v.Any()
}

var missingDefinitionOnce, ambiguousDefinitionOnce sync.Once

// logMissingDefinition reports, once, a request that reached the plugin
// without an API definition it can use: none in its context (the plugin is
// hooked somewhere other than an API's auth_check, or by a host that does
// not follow Tyk), or two after a tyk:// loop it cannot tell apart.
func logMissingDefinition(ambiguous bool) {
	if ambiguous {
		ambiguousDefinitionOnce.Do(func() {
			tykLogger.Error("a tyk:// loop between a classic and a Tyk OAS API reached LDAPAuth, and the API the request came from " +
				"was not authenticated by LDAPAuth: the running API cannot be told; such requests are answered 500")
		})
		return
	}
	missingDefinitionOnce.Do(func() {
		tykLogger.Error("no API definition in the request context; LDAPAuth must be used as an API's custom_middleware.auth_check")
	})
}

func logPanic(v any) {
	tykLogger.Errorf("recovered from a panic while authenticating a request: %s", fmt.Sprint(v))
}
