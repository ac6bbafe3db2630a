// Package otelsetup sets up OpenTelemetry in the contract host the way a
// Tyk gateway with opentelemetry.enabled does (TykTechnologies/opentelemetry
// trace/provider.go): an SDK tracer provider with a batch span processor
// exporting OTLP, registered with otel.SetTracerProvider, and the W3C
// propagators with otel.SetTextMapPropagator. Plugins then reach the
// gateway's pipeline through OpenTelemetry's globals.
//
// The exporter speaks OTLP/HTTP with JSON bodies (Tyk's "http" exporter
// speaks the same protocol with protobuf bodies), so the host links no
// OTLP exporter module: only the SDK at the version the plugin shares.
// Nothing here is linked into the plugin.
package otelsetup

import (
	"errors"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Config is the part of tyk.conf's opentelemetry section the host honours.
type Config struct {
	// Endpoint is the OTLP/HTTP collector base URL, e.g.
	// http://127.0.0.1:4318 (POST /v1/traces is appended).
	Endpoint string
	// ResourceName is opentelemetry.resource_name; Tyk's default is
	// "tyk-gateway".
	ResourceName string
	// ConnectionTimeout bounds each export (Tyk's default: 1 s).
	ConnectionTimeout time.Duration
}

// Setup installs the global tracer provider and propagator and returns the
// provider (ForceFlush sends what is batched; Shutdown flushes and stops).
func Setup(cfg Config) (*sdktrace.TracerProvider, error) {
	if cfg.Endpoint == "" {
		return nil, errors.New("otelsetup: no endpoint")
	}
	if cfg.ResourceName == "" {
		cfg.ResourceName = "tyk-gateway"
	}
	if cfg.ConnectionTimeout <= 0 {
		cfg.ConnectionTimeout = time.Second
	}
	res := resource.NewSchemaless(attribute.String("service.name", cfg.ResourceName))
	exp := newExporter(cfg.Endpoint, cfg.ConnectionTimeout)
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
		sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(100*time.Millisecond)),
	)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return tp, nil
}
