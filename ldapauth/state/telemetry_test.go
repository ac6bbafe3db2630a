package state

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/oteltest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/redistest"
)

func installTelemetry(t *testing.T) (*tracetest.SpanRecorder, *sdktrace.TracerProvider, *sdkmetric.ManualReader) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	return spans, tp, oteltest.Install(t, tp)
}

// Redis calls are client spans under the caller's span that never carry a
// key (keys name accounts); an unreachable Redis marks its span as an error
// and turns the fallback gauge to 1 until Redis answers again.
func TestRedisTelemetry(t *testing.T) {
	spans, tp, reader := installTelemetry(t)
	s := redistest.StartT(t)
	const timeout = 300 * time.Millisecond
	client, err := NewRedisClient(RedisOptions{Addrs: []string{s.Addr()}}, timeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	remote := newAttempts(t, client, Limits{Max: 3, Window: time.Minute}, timeout)
	local, clock := newTestAttempts(3, time.Minute, 0)
	f := NewFailover(remote, local, slog.New(&recordedLogs{}))
	f.now = clock.Now

	ctx, parent := tp.Tracer("test").Start(context.Background(), "request")
	r, err := f.Reserve(ctx, account("ann"))
	if err != nil {
		t.Fatal(err)
	}
	r.Failed(ctx)
	parent.End()
	var names []string
	for _, sp := range spans.Ended() {
		names = append(names, sp.Name())
		if sp.Name() == "request" {
			continue
		}
		if sp.Parent().SpanID() != parent.SpanContext().SpanID() {
			t.Errorf("%s is not under the request's span", sp.Name())
		}
		for _, kv := range sp.Attributes() {
			if strings.Contains(kv.Value.Emit(), "ann") {
				t.Errorf("%s attribute %s names the account", sp.Name(), kv.Key)
			}
		}
		if sp.Status().Code == codes.Error {
			t.Errorf("%s is an error while Redis answers", sp.Name())
		}
	}
	if got := strings.Join(names, ","); got != "redis reserve,redis failed,request" {
		t.Errorf("spans %s", got)
	}
	if n, _ := oteltest.Sum(t, reader, "ldapauth.redis.fallback"); n != 0 {
		t.Errorf("fallback = %d while Redis answers", n)
	}

	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	ctx, outage := tp.Tracer("test").Start(context.Background(), "request during the outage")
	if _, err := f.Reserve(ctx, account("ann")); err != nil {
		t.Fatal(err)
	}
	outage.End()
	if n, seen := oteltest.Sum(t, reader, "ldapauth.redis.fallback"); !seen || n != 1 {
		t.Errorf("fallback = %d (reported %v) during the outage, want 1", n, seen)
	}
	ended := spans.Ended()
	last := ended[len(ended)-2] // before the request's own span
	if last.Name() != "redis reserve" || last.Status().Code != codes.Error {
		t.Errorf("the failed call's span: %s %v", last.Name(), last.Status())
	}

	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	clock.advance(failoverMaxBackoff)
	if _, err := f.Reserve(context.Background(), account("ann")); err != nil {
		t.Fatal(err)
	}
	if n, _ := oteltest.Sum(t, reader, "ldapauth.redis.fallback"); n != 0 {
		t.Errorf("fallback = %d after Redis answered again, want 0", n)
	}
}

// Cache lookups count hits and misses; a recheck is not counted again.
func TestCacheLookupsCounted(t *testing.T) {
	_, _, reader := installTelemetry(t)
	c := NewCache[string](CacheOptions{TTL: time.Minute, NegativeTTL: time.Minute, MaxEntries: 10, Salt: []byte("s")})
	h := c.Hasher()
	var known, unknown MAC
	h.Sum([]byte("u"), []byte("p"), &known)
	h.Sum([]byte("u"), []byte("q"), &unknown)
	c.StoreGrant(known, "u", "grant", time.Now())
	c.Fresh(&known, time.Now())
	c.Fresh(&unknown, time.Now())
	c.Recheck(&unknown, time.Now())
	if n, _ := oteltest.Sum(t, reader, "ldapauth.cache.lookups"); n != 2 {
		t.Errorf("lookups = %d, want 2 (one hit, one miss; the recheck is not counted)", n)
	}
}

// Evictions count by cause: a watched entry changed, or a resync after a
// gap in watching.
func TestEvictionsCountedByCause(t *testing.T) {
	_, _, reader := installTelemetry(t)
	c := NewCache[string](CacheOptions{TTL: time.Minute, NegativeTTL: time.Minute, MaxEntries: 10, Salt: []byte("s")})
	h := c.Hasher()
	var a, b MAC
	h.Sum([]byte("a"), []byte("p"), &a)
	h.Sum([]byte("b"), []byte("p"), &b)
	gen := c.Generation()
	c.StoreWatched(gen, a, "a", []string{"dn:a"}, "grant", time.Now())
	c.StoreWatched(gen, b, "b", []string{"dn:b"}, "grant", time.Now())
	c.Evict([]string{"dn:a"})
	c.EvictAll()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if s, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "ldapauth.cache.evictions" {
				for _, dp := range s.DataPoints {
					v, _ := dp.Attributes.Value(AttrEvictCause)
					got[v.AsString()] += dp.Value
				}
			}
		}
	}
	if got["directory_change"] != 1 || got["resync"] != 1 {
		t.Errorf("evictions by cause %v, want one directory_change and one resync", got)
	}
}
