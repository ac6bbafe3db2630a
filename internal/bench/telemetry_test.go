package bench

import (
	"context"
	"fmt"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/oteltest"
)

// discardExporter drops spans: the benchmark measures the plugin's cost of
// producing them, not an exporter's.
type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }

// otelOn installs SDK providers as a gateway with opentelemetry enabled
// (traces and metrics) does, every span sampled, and returns a context
// holding a recording span standing in for the gateway's server span.
// The no-op providers come back when b ends.
func otelOn(b *testing.B) context.Context {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithBatcher(discardExporter{}))
	oteltest.Install(b, tp)
	ctx, span := tp.Tracer("gateway").Start(context.Background(), "GET /api/resource", trace.WithSpanKind(trace.SpanKindServer))
	b.Cleanup(func() {
		span.End()
		_ = tp.Shutdown(context.Background())
	})
	return ctx
}

// BenchmarkTelemetry compares, in one run, the plugin with the gateway's
// OpenTelemetry off (OpenTelemetry's no-op globals, as in a gateway
// without opentelemetry.enabled) and on (SDK tracer and meter providers,
// the request inside a sampled server span): on a cache hit, which adds
// attributes to the gateway's span and counts the request, and on the cold
// path (cache off), which adds the authentication's span tree.
func BenchmarkTelemetry(b *testing.B) {
	srv := sharedLDAP(b)
	ldap, _, def, auth := hotSetup(b, "bench-otel-hot")
	b.Run("CacheHitOff", func(b *testing.B) { serve(b, ldap, newReusableRequest(def, auth)) })
	b.Run("CacheHitOn", func(b *testing.B) {
		ctx := otelOn(b)
		q := newReusableRequest(def, auth)
		q.base = *q.base.WithContext(trace.ContextWithSpan(q.base.Context(), trace.SpanFromContext(ctx)))
		serve(b, ldap, q)
	})
	cfg := hotConfig(srv)
	cfg["cache_ttl"], cfg["pool_size"], cfg["max_failures"] = "0", 8.0, 1000.0
	coldDef := api("bench-otel-cold", cfg)
	warm(b, ldap, newReusableRequest(coldDef, authHeader(benchUID(0), benchPassword(0))))
	cold := func(on bool) func(b *testing.B) {
		return func(b *testing.B) {
			var parent context.Context
			if on {
				parent = otelOn(b)
			}
			perUser(b, func(user int) func() error {
				q, w := newReusableRequest(coldDef, authHeader(benchUID(user), benchPassword(user))), newDiscardWriter()
				if parent != nil {
					q.base = *q.base.WithContext(trace.ContextWithSpan(q.base.Context(), trace.SpanFromContext(parent)))
				}
				return func() error {
					ldap(w, q.next())
					if w.written != 0 {
						return fmt.Errorf("request refused")
					}
					return nil
				}
			})
		}
	}
	b.Run("ColdOff", cold(false))
	b.Run("ColdOn", cold(true))
}
