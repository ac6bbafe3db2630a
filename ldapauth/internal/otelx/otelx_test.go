package otelx

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// Instruments follow the global meter provider: built once per provider,
// rebuilt when the gateway registers another.
func TestInstrumentsFollowTheGlobalProvider(t *testing.T) {
	t.Cleanup(func() { otel.SetMeterProvider(metricnoop.NewMeterProvider()) })
	builds := 0
	in := NewInstruments("test", func(m metric.Meter) metric.Int64Counter {
		builds++
		return Counter(m, "test.count")
	})
	for _, step := range []struct {
		name       string
		provider   metric.MeterProvider // nil: keep the current one
		wantBuilds int
	}{
		{"first use builds", nil, 1},
		{"same provider reuses", nil, 1},
		{"a new provider rebuilds", sdkmetric.NewMeterProvider(), 2},
		{"and is then reused", nil, 2},
		{"back to no-op rebuilds", metricnoop.NewMeterProvider(), 3},
	} {
		if step.provider != nil {
			otel.SetMeterProvider(step.provider)
		}
		if in.Get() == nil {
			t.Fatalf("%s: nil instrument", step.name)
		}
		if builds != step.wantBuilds {
			t.Errorf("%s: %d builds, want %d", step.name, builds, step.wantBuilds)
		}
	}
}

func TestTracerFollowsTheGlobalProvider(t *testing.T) {
	t.Cleanup(func() { otel.SetTracerProvider(tracenoop.NewTracerProvider()) })
	tr := NewTracer("test")
	first := tr.Get()
	if tr.Get() != first {
		t.Error("the same provider gave a new tracer")
	}
	otel.SetTracerProvider(sdktrace.NewTracerProvider())
	if _, span := tr.Get().Start(context.Background(), "x"); !span.SpanContext().IsValid() {
		t.Error("the tracer did not follow the SDK provider")
	}
}
