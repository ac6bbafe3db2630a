package oteltest

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
)

func TestSum(t *testing.T) {
	reader := Install(t, nil)
	m := otel.GetMeterProvider().Meter("oteltest")
	c, _ := m.Int64Counter("requests")
	h, _ := m.Float64Histogram("duration")
	ok, bad := attribute.String("outcome", "ok"), attribute.String("outcome", "bad")
	ctx := context.Background()
	c.Add(ctx, 2, metric.WithAttributes(ok))
	c.Add(ctx, 3, metric.WithAttributes(bad))
	h.Record(ctx, 0.5, metric.WithAttributes(ok))
	h.Record(ctx, 0.7, metric.WithAttributes(ok))
	for _, tc := range []struct {
		name  string
		want  []attribute.KeyValue
		total int64
		seen  bool
	}{
		{"requests", nil, 5, true},
		{"requests", []attribute.KeyValue{ok}, 2, true},
		{"requests", []attribute.KeyValue{attribute.String("outcome", "none")}, 0, true},
		{"duration", []attribute.KeyValue{ok}, 2, true},
		{"absent", nil, 0, false},
	} {
		if total, seen := Sum(t, reader, tc.name, tc.want...); total != tc.total || seen != tc.seen {
			t.Errorf("Sum(%s, %v) = %d, %v; want %d, %v", tc.name, tc.want, total, seen, tc.total, tc.seen)
		}
	}
}

func TestInstallRestoresNoop(t *testing.T) {
	t.Run("installed", func(t *testing.T) {
		Install(t, nil)
		if _, isNoop := otel.GetMeterProvider().(metricnoop.MeterProvider); isNoop {
			t.Fatal("the SDK meter provider is not the global one")
		}
	})
	if _, isNoop := otel.GetMeterProvider().(metricnoop.MeterProvider); !isNoop {
		t.Fatalf("the global meter provider is %T after the test, want the no-op one", otel.GetMeterProvider())
	}
}
