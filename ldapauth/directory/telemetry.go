package directory

import (
	"context"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/internal/otelx"
)

// The directory's OpenTelemetry scope: its spans and instruments carry this
// name, so they can be told apart from the gateway's and the other layers'.
const telemetryScope = "github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"

// Operation names: the ldap.operation attribute of spans and of the
// operation duration histogram.
const (
	OpConnect     = "connect"      // TCP connect plus everything below until the connection is usable
	OpTLS         = "tls"          // the ldaps:// handshake
	OpStartTLS    = "starttls"     // the StartTLS extended operation and its handshake
	OpServiceBind = "service_bind" // the service account's bind on a new connection
	OpSearch      = "search"       // any search: the user, its own entry, uniqueness, groups
	OpUserBind    = "user_bind"    // the bind with the user's password
	OpGroups      = "groups"       // the whole group lookup (it may run several searches)
	OpPoolWait    = "pool_wait"    // waiting for a free connection slot
)

// Attribute keys the directory sets. Server addresses follow OpenTelemetry's
// server.* conventions; the rest live under ldap.*.
const (
	AttrOperation  = attribute.Key("ldap.operation")
	AttrResultCode = attribute.Key("ldap.result_code")
	AttrPool       = attribute.Key("ldap.pool")
	AttrEntries    = attribute.Key("ldap.search.entries")
	attrServerAddr = attribute.Key("server.address")
	attrServerPort = attribute.Key("server.port")
	attrErrorType  = attribute.Key("error.type")
)

var tracer = otelx.NewTracer(telemetryScope)

// instruments are the directory's metrics. Names follow the database client
// conventions (db.client.*) with ldap in place of db.
type instruments struct {
	opDuration   metric.Float64Histogram   // ldap.client.operation.duration
	connUsed     metric.Int64UpDownCounter // ldap.client.connection.count
	connWait     metric.Float64Histogram   // ldap.client.connection.wait_time
	connTimeouts metric.Int64Counter       // ldap.client.connection.timeouts
	serversDown  metric.Int64UpDownCounter // ldap.client.servers.down
	watchLive    metric.Int64UpDownCounter // ldap.watch.live
	watchEvents  metric.Int64Counter       // ldap.watch.events
}

var meters = otelx.NewInstruments(telemetryScope, func(m metric.Meter) instruments {
	return instruments{
		opDuration: otelx.Histogram(m, "ldap.client.operation.duration", metric.WithUnit("s"),
			metric.WithDescription("Duration of LDAP operations, per server and operation."),
			metric.WithExplicitBucketBoundaries(otelx.DurationBuckets...)),
		connUsed: otelx.UpDownCounter(m, "ldap.client.connection.count", metric.WithUnit("{connection}"),
			metric.WithDescription("LDAP connections in use (a slot taken from the pool), per server and pool.")),
		connWait: otelx.Histogram(m, "ldap.client.connection.wait_time", metric.WithUnit("s"),
			metric.WithDescription("Time a request waited for a free connection slot, per server and pool; only waits are recorded."),
			metric.WithExplicitBucketBoundaries(otelx.DurationBuckets...)),
		connTimeouts: otelx.Counter(m, "ldap.client.connection.timeouts", metric.WithUnit("{timeout}"),
			metric.WithDescription("Requests that gave up waiting for a free connection slot (answered 503), per server and pool.")),
		serversDown: otelx.UpDownCounter(m, "ldap.client.servers.down", metric.WithUnit("{server}"),
			metric.WithDescription("Directory servers this gateway currently routes around because they stopped answering.")),
		watchLive: otelx.UpDownCounter(m, "ldap.watch.live", metric.WithUnit("{watch}"),
			metric.WithDescription("Revocation watches currently following directory changes (one per watched directory).")),
		watchEvents: otelx.Counter(m, "ldap.watch.events", metric.WithUnit("{event}"),
			metric.WithDescription("Directory changes (kind change) and resyncs after a gap (kind resync) a revocation watch delivered to the caches.")),
	}
})

// serverAttrs are the attributes naming one server.
func serverAttrs(s Server) []attribute.KeyValue {
	port := 0
	if _, p, ok := cutLast(s.Addr, ':'); ok {
		port, _ = strconv.Atoi(p)
	}
	return []attribute.KeyValue{attrServerAddr.String(s.Host), attrServerPort.Int(port)}
}

func cutLast(s string, sep byte) (before, after string, ok bool) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// opTelemetry is what the span and the duration of one operation on one
// server carry, built once so that timing an operation allocates only
// what the providers themselves do.
type opTelemetry struct {
	name  string                  // span name
	attrs []attribute.KeyValue    // server and operation
	start []trace.SpanStartOption // client kind and attrs
	ok    []metric.RecordOption   // the duration's attributes on success
}

var allOps = []string{OpConnect, OpTLS, OpStartTLS, OpServiceBind, OpSearch, OpUserBind, OpGroups, OpPoolWait}

// opTable holds the opTelemetry of every operation per server; servers are
// few (configured or discovered), and entries are never removed. It lives
// on the heap, made by a call at init rather than a static literal: the
// race detector cannot follow a mutex in a Go plugin's static data (it
// aborts with "failed to restore address").
var opTable = newOpTable()

type opTableT struct {
	mu sync.RWMutex
	m  map[Server]map[string]*opTelemetry
}

//go:noinline
func newOpTable() *opTableT {
	return &opTableT{m: make(map[Server]map[string]*opTelemetry)}
}

func opFor(srv Server, op string) *opTelemetry {
	opTable.mu.RLock()
	ops, ok := opTable.m[srv]
	opTable.mu.RUnlock()
	if !ok {
		ops = make(map[string]*opTelemetry, len(allOps))
		for _, name := range allOps {
			attrs := append(serverAttrs(srv), AttrOperation.String(name))
			ops[name] = &opTelemetry{
				name:  "ldap." + name,
				attrs: attrs,
				start: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...)},
				ok:    []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attrs...))},
			}
		}
		opTable.mu.Lock()
		if existing, raced := opTable.m[srv]; raced {
			ops = existing
		} else {
			opTable.m[srv] = ops
		}
		opTable.mu.Unlock()
	}
	return ops[op]
}

// opSpan is one LDAP operation being timed and traced.
type opSpan struct {
	span  trace.Span
	start time.Time
	op    *opTelemetry
}

// startOp opens the span of an operation on srv and starts its clock. The
// span carries no DN, filter or username: those may name the user, and
// whether users are named in traces is the decision layer's choice.
func startOp(ctx context.Context, op string, srv Server) (context.Context, opSpan) {
	t := opFor(srv, op)
	ctx, span := tracer.Start(ctx, t.name, t.start...)
	return ctx, opSpan{span: span, start: time.Now(), op: t}
}

var resultOK = []attribute.KeyValue{AttrResultCode.Int(0)}

// end closes the span and records the duration. Only failures that are the
// gateway's or the directory's problem mark the span as an error: a wrong
// password or an unknown user is the directory doing its job.
func (o opSpan) end(ctx context.Context, err error, extra ...attribute.KeyValue) {
	took := time.Since(o.start).Seconds()
	recording := o.span.IsRecording()
	if err == nil {
		if recording {
			o.span.SetAttributes(resultOK...)
			o.span.SetAttributes(extra...)
		}
		o.span.End()
		meters.Get().opDuration.Record(ctx, took, o.op.ok...)
		return
	}
	errType := attrErrorType.String(errorType(err))
	if recording {
		o.span.SetAttributes(AttrResultCode.Int(int(resultCode(err))), errType)
		o.span.SetAttributes(extra...)
		if k := KindOf(err); k != KindInvalidCredentials && k != KindRefused {
			o.span.SetStatus(codes.Error, k.String())
		}
	}
	o.span.End()
	attrs := append(o.op.attrs[:len(o.op.attrs):len(o.op.attrs)], errType)
	meters.Get().opDuration.Record(ctx, took, metric.WithAttributes(attrs...))
}

// errorType is the low-cardinality error.type of a failed operation: the
// kind of failure, never its text (which may name a DN).
func errorType(err error) string {
	switch KindOf(err) {
	case KindInvalidCredentials:
		return "invalid_credentials"
	case KindUnavailable:
		return "unavailable"
	case KindBusy:
		return "busy"
	case KindMisconfigured:
		return "misconfigured"
	case KindRefused:
		return "refused"
	}
	if isTransport(err) {
		return "transport"
	}
	if code := resultCode(err); code != 0 {
		return "ldap_" + strconv.Itoa(int(code))
	}
	return "other"
}

// poolAttrs are the metric attributes of one pool.
func poolAttrs(s Server, purpose string) metric.MeasurementOption {
	return metric.WithAttributeSet(attribute.NewSet(append(serverAttrs(s), AttrPool.String(purpose))...))
}

// poolOptions are a pool's attributes as counter and histogram options,
// built once per pool.
type poolOptions struct {
	add    []metric.AddOption
	record []metric.RecordOption
}

func newPoolOptions(s Server, purpose string) poolOptions {
	o := poolAttrs(s, purpose)
	return poolOptions{add: []metric.AddOption{o}, record: []metric.RecordOption{o}}
}

// serverDown counts a server going down (+1) or coming back (-1).
func serverDown(s Server, delta int64) {
	meters.Get().serversDown.Add(context.Background(), delta, metric.WithAttributes(serverAttrs(s)...))
}

type serverCtxKey struct{}

// withServer records which server an authentication attempt is talking to,
// for the spans and metrics of the operations it runs.
func withServer(ctx context.Context, s Server) context.Context {
	return context.WithValue(ctx, serverCtxKey{}, s)
}

func srvOf(ctx context.Context) Server {
	s, _ := ctx.Value(serverCtxKey{}).(Server)
	return s
}

// AttrWatchKind is the kind of a watch event: change or resync.
const AttrWatchKind = attribute.Key("ldap.watch.kind")

var (
	watchChange = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(AttrWatchKind.String("change")))}
	watchResync = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(AttrWatchKind.String("resync")))}
)

// watchDelivery traces one delivery of a watch's changes to the caches: a
// span of its own (the watch serves no request), with how many entries
// changed; the evictions happen inside it.
func watchDelivery(kind string, keys int, mech Mechanism) (end func()) {
	_, span := tracer.Get().Start(context.Background(), "ldap.watch."+kind,
		trace.WithAttributes(AttrWatchKind.String(kind), attribute.Int("ldap.watch.entries", keys), attribute.String("ldap.watch.mechanism", string(mech))))
	opts := watchChange
	if kind == "resync" {
		opts = watchResync
	}
	meters.Get().watchEvents.Add(context.Background(), 1, opts...)
	return func() { span.End() }
}

// watchLive counts a watch becoming live (+1) or losing its session (-1).
func watchLive(delta int64) {
	meters.Get().watchLive.Add(context.Background(), delta)
}
