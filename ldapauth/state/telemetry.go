package state

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/internal/otelx"
)

// The state package's OpenTelemetry scope.
const telemetryScope = "github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/state"

// Attribute keys and values of the cache metrics.
const (
	AttrCacheResult = attribute.Key("ldapauth.cache.result")
	AttrCacheSide   = attribute.Key("ldapauth.cache.side")
	// AttrEvictCause says why entries left early: bound (a size bound),
	// directory_change (a watched entry changed), resync (a gap in
	// watching the directory).
	AttrEvictCause = attribute.Key("ldapauth.cache.eviction_cause")
)

var tracer = otelx.NewTracer(telemetryScope)

type instruments struct {
	cacheLookups   metric.Int64Counter       // ldapauth.cache.lookups
	cacheEvictions metric.Int64Counter       // ldapauth.cache.evictions
	redisDuration  metric.Float64Histogram   // db.client.operation.duration
	redisFallback  metric.Int64UpDownCounter // ldapauth.redis.fallback
}

var meters = otelx.NewInstruments(telemetryScope, func(m metric.Meter) instruments {
	return instruments{
		cacheLookups: otelx.Counter(m, "ldapauth.cache.lookups", metric.WithUnit("{lookup}"),
			metric.WithDescription("Decision cache lookups by result: hit (a fresh success), negative_hit (recently refused credentials), miss.")),
		cacheEvictions: otelx.Counter(m, "ldapauth.cache.evictions", metric.WithUnit("{entry}"),
			metric.WithDescription("Decision cache entries removed before they expired, to respect a bound (spellings per user, cache_max_entries).")),
		redisDuration: otelx.Histogram(m, "db.client.operation.duration", metric.WithUnit("s"),
			metric.WithDescription("Duration of Redis calls made for the shared brute-force state."),
			metric.WithExplicitBucketBoundaries(otelx.DurationBuckets...)),
		redisFallback: otelx.UpDownCounter(m, "ldapauth.redis.fallback", metric.WithUnit("{state}"),
			metric.WithDescription("1 while this gateway counts attempts locally because Redis is unreachable, else 0.")),
	}
})

// Precomputed options, so counting a cache lookup does not allocate.
var (
	lookupHit         = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(AttrCacheResult.String("hit")))}
	lookupMiss        = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(AttrCacheResult.String("miss")))}
	lookupNegativeHit = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(AttrCacheResult.String("negative_hit")))}
	evictedPositive   = evictOptions("positive", "bound")
	evictedNegative   = evictOptions("negative", "bound")
	evictedByChange   = evictOptions("positive", "directory_change")
	evictedByResync   = evictOptions("positive", "resync")
)

// redisOp is what the span and duration of one kind of Redis call carry,
// built once per kind. Its attributes never carry a key: keys name
// accounts and client addresses.
type redisOp struct {
	name   string
	attrs  []attribute.KeyValue
	start  []trace.SpanStartOption
	ok     []metric.RecordOption
	failed []metric.RecordOption
}

// redisOps are the calls RedisAttempts makes.
var redisOps = func() map[string]*redisOp {
	ops := map[string]*redisOp{}
	for _, op := range []string{"reserve", "locked-for", "lock", "failed", "succeeded", "cancel"} {
		ops[op] = newRedisOp(op)
	}
	return ops
}()

func newRedisOp(op string) *redisOp {
	attrs := []attribute.KeyValue{attribute.String("db.system", "redis"), attribute.String("db.operation.name", op)}
	failed := append(attrs[:len(attrs):len(attrs)], attribute.String("error.type", "unavailable"))
	return &redisOp{
		name:   "redis " + op,
		attrs:  attrs,
		start:  []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...)},
		ok:     []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attrs...))},
		failed: []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(failed...))},
	}
}

// redisCall is one Redis round trip being traced and timed.
type redisCall struct {
	span  trace.Span
	start time.Time
	op    *redisOp
}

func startRedisCall(ctx context.Context, op string) (context.Context, redisCall) {
	o, ok := redisOps[op]
	if !ok {
		o = newRedisOp(op)
	}
	ctx, span := tracer.Start(ctx, o.name, o.start...)
	return ctx, redisCall{span: span, start: time.Now(), op: o}
}

// end closes the call. A Redis failure is the gateway's problem: it marks
// the span as an error (the request is still answered, from local counts).
func (c redisCall) end(ctx context.Context, err error) {
	took := time.Since(c.start).Seconds()
	if err != nil {
		c.span.SetStatus(codes.Error, "redis unavailable")
		c.span.End()
		meters.Get().redisDuration.Record(ctx, took, c.op.failed...)
		return
	}
	c.span.End()
	meters.Get().redisDuration.Record(ctx, took, c.op.ok...)
}

func evictOptions(side, cause string) []metric.AddOption {
	return []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(AttrCacheSide.String(side), AttrEvictCause.String(cause)))}
}
