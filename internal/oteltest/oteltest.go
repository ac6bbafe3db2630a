// Package oteltest installs OpenTelemetry SDK providers as the global ones,
// as a gateway with opentelemetry enabled does, and reads metrics back, for
// the tests of every package that instruments itself.
package oteltest

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// Install makes tp (when not nil) the global tracer provider and a meter
// provider reading into the returned ManualReader the global meter
// provider. The no-op providers, a gateway's state with OpenTelemetry off,
// come back when tb ends.
func Install(tb testing.TB, tp *sdktrace.TracerProvider) *sdkmetric.ManualReader {
	tb.Helper()
	if tp != nil {
		otel.SetTracerProvider(tp)
	}
	reader := sdkmetric.NewManualReader()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	tb.Cleanup(func() {
		otel.SetTracerProvider(tracenoop.NewTracerProvider())
		otel.SetMeterProvider(metricnoop.NewMeterProvider())
	})
	return reader
}

// Sum collects r and totals metric name over the data points whose
// attributes include want: the values of an Int64 sum, the counts of a
// Float64 histogram. seen reports whether the metric was there at all.
func Sum(tb testing.TB, r *sdkmetric.ManualReader, name string, want ...attribute.KeyValue) (total int64, seen bool) {
	tb.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		tb.Fatalf("collect metrics: %v", err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				seen = true
				for _, dp := range d.DataPoints {
					if hasAll(dp.Attributes, want) {
						total += dp.Value
					}
				}
			case metricdata.Histogram[float64]:
				seen = true
				for _, dp := range d.DataPoints {
					if hasAll(dp.Attributes, want) {
						total += int64(dp.Count)
					}
				}
			}
		}
	}
	return total, seen
}

func hasAll(set attribute.Set, want []attribute.KeyValue) bool {
	for _, kv := range want {
		if v, ok := set.Value(kv.Key); !ok || v != kv.Value {
			return false
		}
	}
	return true
}
