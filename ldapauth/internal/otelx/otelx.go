// Package otelx follows OpenTelemetry's global tracer and meter providers
// for the ldapauth packages. Inside a gateway those are the gateway's own:
// Tyk registers its providers globally when opentelemetry is enabled, and
// leaves OpenTelemetry's no-op defaults in place otherwise. Each package
// keeps its own scope (its import path) and builds its own instruments;
// this package only makes sure they are rebuilt when the global provider
// changes, and cost one atomic load when it does not.
package otelx

import (
	"context"
	"reflect"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
)

// Instruments holds one package's instruments, built from the global
// meter provider of the moment.
type Instruments[T any] struct {
	scope string
	build func(metric.Meter) T
	cur   atomic.Pointer[builtFor[T, metric.MeterProvider]]
}

// builtFor is a value built from provider p. comparable says whether p's
// dynamic type can be compared with == (a provider that is a struct with a
// slice inside cannot; comparing two of those would panic).
type builtFor[T, P any] struct {
	p          P
	comparable bool
	v          T
}

// NewInstruments returns a holder whose Get builds instruments with build
// from a meter of scope. It is never inlined, so a package-level holder is
// allocated on the heap at init rather than laid out in the binary's static
// data: Go's race detector cannot map atomic operations on a plugin's
// static data and aborts the gateway's -race builds ("failed to restore
// address") when they are contended.
//
//go:noinline
func NewInstruments[T any](scope string, build func(metric.Meter) T) *Instruments[T] {
	return &Instruments[T]{scope: scope, build: build}
}

// Get returns the instruments of the current global meter provider.
func (i *Instruments[T]) Get() T {
	mp := otel.GetMeterProvider()
	if b := i.cur.Load(); b != nil && b.comparable && b.p == mp {
		return b.v
	}
	b := &builtFor[T, metric.MeterProvider]{p: mp, comparable: comparable(mp), v: i.build(mp.Meter(i.scope))}
	i.cur.Store(b)
	return b.v
}

// Tracer is one package's tracer from the current global tracer provider.
type Tracer struct {
	scope string
	cur   atomic.Pointer[builtFor[trace.Tracer, trace.TracerProvider]]
}

// NewTracer returns a Tracer for scope. Never inlined, for the reason
// NewInstruments gives.
//
//go:noinline
func NewTracer(scope string) *Tracer { return &Tracer{scope: scope} }

// Get returns the tracer of the current global tracer provider.
func (t *Tracer) Get() trace.Tracer {
	tp := otel.GetTracerProvider()
	if b := t.cur.Load(); b != nil && b.comparable && b.p == tp {
		return b.v
	}
	b := &builtFor[trace.Tracer, trace.TracerProvider]{p: tp, comparable: comparable(tp), v: tp.Tracer(t.scope)}
	t.cur.Store(b)
	return b.v
}

// noSpan is what Start returns when it starts nothing: safe to End, and
// with an invalid span context.
var noSpan = trace.SpanFromContext(context.Background())

// Start starts a child of the span in ctx, and only when that span is
// recording: a request the gateway does not trace (OpenTelemetry off, or
// not sampled) costs no span work at all. Work that belongs to no request
// (a revocation watch) uses Get().Start for a root span instead.
func (t *Tracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return ctx, noSpan
	}
	return t.Get().Start(ctx, name, opts...)
}

func comparable(v any) bool { return v != nil && reflect.TypeOf(v).Comparable() }

// Counter creates a counter, or a no-op one when the provider refuses (a
// broken provider must not break requests).
func Counter(m metric.Meter, name string, opts ...metric.Int64CounterOption) metric.Int64Counter {
	c, err := m.Int64Counter(name, opts...)
	if err != nil || c == nil {
		return noop.Int64Counter{}
	}
	return c
}

// UpDownCounter creates an up-down counter, or a no-op one (see Counter).
func UpDownCounter(m metric.Meter, name string, opts ...metric.Int64UpDownCounterOption) metric.Int64UpDownCounter {
	c, err := m.Int64UpDownCounter(name, opts...)
	if err != nil || c == nil {
		return noop.Int64UpDownCounter{}
	}
	return c
}

// Histogram creates a histogram, or a no-op one (see Counter).
func Histogram(m metric.Meter, name string, opts ...metric.Float64HistogramOption) metric.Float64Histogram {
	h, err := m.Float64Histogram(name, opts...)
	if err != nil || h == nil {
		return noop.Float64Histogram{}
	}
	return h
}

// DurationBuckets are the bucket bounds, in seconds, OpenTelemetry's
// semantic conventions advise for request durations.
var DurationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}
