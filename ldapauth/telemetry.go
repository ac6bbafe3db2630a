package ldapauth

import (
	"context"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/internal/otelx"
)

// The decision layer's OpenTelemetry scope.
const telemetryScope = "github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth"

// SpanAuthenticate is the name of the span of one authentication that is
// not answered from the cache.
const SpanAuthenticate = "ldapauth.authenticate"

// Attribute keys of the decision. The API id uses Tyk's own key, so the
// plugin's spans and metrics join the gateway's.
const (
	AttrAPIID   = attribute.Key("tyk.api.id")
	AttrOutcome = attribute.Key("ldapauth.outcome")
	AttrReason  = attribute.Key("ldapauth.reason")
	AttrCache   = attribute.Key("ldapauth.cache")
	AttrStatus  = attribute.Key("http.response.status_code")
	// AttrUser is set only with trace_usernames: the username as the
	// directory knows it (or as typed, when it never answered).
	AttrUser = attribute.Key("enduser.id")
	// AttrLockScope says what a lock bounds: an account or a client address.
	AttrLockScope = attribute.Key("ldapauth.lock.scope")
)

var tracer = otelx.NewTracer(telemetryScope)

type instruments struct {
	requests metric.Int64Counter // ldapauth.requests
	locks    metric.Int64Counter // ldapauth.locks
}

var meters = otelx.NewInstruments(telemetryScope, func(m metric.Meter) instruments {
	return instruments{
		requests: otelx.Counter(m, "ldapauth.requests", metric.WithUnit("{request}"),
			metric.WithDescription("Requests decided by the plugin, by API, outcome, reason and cache state.")),
		locks: otelx.Counter(m, "ldapauth.locks", metric.WithUnit("{lock}"),
			metric.WithDescription("Locks imposed after too many wrong passwords (scope account or client) or reported by the directory (scope account).")),
	}
})

// telemetry is a gate's precomputed attributes: a cache hit records its
// metric and, on a recording span, its attributes without allocating.
type telemetry struct {
	api          attribute.KeyValue
	start        []trace.SpanStartOption
	hitGranted   []metric.AddOption
	hitForbidden []metric.AddOption
	// The two answers a flood of bad requests gets without a directory
	// round trip: no credentials, and recently rejected credentials.
	noCredentials    []metric.AddOption
	recentlyRejected []metric.AddOption
	spanHit          [2][]attribute.KeyValue // by allowed
	names            bool                    // trace_usernames
}

func newTelemetry(api APIInfo, cfg *Config) telemetry {
	t := telemetry{api: AttrAPIID.String(api.ID), names: cfg.TraceUsernames}
	t.start = []trace.SpanStartOption{trace.WithAttributes(t.api)}
	t.hitGranted = []metric.AddOption{metric.WithAttributeSet(t.requestSet(OutcomeGranted, "ok", "hit"))}
	t.hitForbidden = []metric.AddOption{metric.WithAttributeSet(t.requestSet(OutcomeForbidden, "access_rules", "hit"))}
	t.noCredentials = []metric.AddOption{metric.WithAttributeSet(t.requestSet(OutcomeUnauthorized, "no_credentials", "none"))}
	t.recentlyRejected = []metric.AddOption{metric.WithAttributeSet(t.requestSet(OutcomeUnauthorized, "recently_rejected", "negative_hit"))}
	for i, o := range []Outcome{OutcomeForbidden, OutcomeGranted} {
		t.spanHit[i] = []attribute.KeyValue{AttrCache.String("hit"), AttrOutcome.String(o.String())}
	}
	return t
}

func (t *telemetry) requestSet(o Outcome, reason, cache string) attribute.Set {
	return attribute.NewSet(t.api, AttrOutcome.String(o.String()), AttrReason.String(reason), AttrCache.String(cache))
}

// startSpan opens the span of an authentication the cache did not answer,
// as a child of the request's span (the gateway's, when it traces), and
// returns the request carrying it. A span that records nothing (tracing
// off) is not worth a copy of the request.
func (g *Gate) startSpan(r *http.Request) (*http.Request, trace.Span) {
	ctx, span := tracer.Start(r.Context(), SpanAuthenticate, g.tel.start...)
	if !span.IsRecording() {
		return r, span
	}
	return r.WithContext(ctx), span
}

// observe records a decision: the request counter, and the outcome on the
// current span (the authentication's own span, or on a cache hit the
// gateway's span). Only outcomes that are the gateway's problem (5xx) mark
// the span as an error; a wrong password is a correct answer.
func (g *Gate) observe(ctx context.Context, user string, res Result, cacheState, reason string) {
	in := meters.Get()
	span := trace.SpanFromContext(ctx)
	if cacheState == "hit" {
		allowed := res.Outcome == OutcomeGranted
		if allowed {
			in.requests.Add(ctx, 1, g.tel.hitGranted...)
		} else {
			in.requests.Add(ctx, 1, g.tel.hitForbidden...)
		}
		if span.IsRecording() {
			span.SetAttributes(g.tel.spanHit[b2i(allowed)]...)
			if g.tel.names {
				span.SetAttributes(AttrUser.String(user))
			}
		}
		return
	}
	if cacheState == "negative-hit" {
		cacheState = "negative_hit" // the log's spelling, in the attribute style
	}
	class := reasonClass(res.Outcome, cacheState, reason)
	switch {
	case res.Outcome == OutcomeUnauthorized && cacheState == "none":
		in.requests.Add(ctx, 1, g.tel.noCredentials...)
	case res.Outcome == OutcomeUnauthorized && cacheState == "negative_hit":
		in.requests.Add(ctx, 1, g.tel.recentlyRejected...)
	default:
		in.requests.Add(ctx, 1, metric.WithAttributeSet(g.tel.requestSet(res.Outcome, class, cacheState)))
	}
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(AttrOutcome.String(res.Outcome.String()), AttrReason.String(class), AttrCache.String(cacheState))
	if status := res.Outcome.Status(); status != 0 {
		span.SetAttributes(AttrStatus.Int(status))
	}
	if g.tel.names && user != "" {
		span.SetAttributes(AttrUser.String(user))
	}
	if res.Outcome.Status() >= 500 {
		span.SetStatus(codes.Error, res.Outcome.String()+": "+class)
	}
}

// joined marks the span of a request that waited for an identical check in
// flight and links it to the span of the request that ran it.
func joined(ctx context.Context, leader trace.SpanContext) {
	span := trace.SpanFromContext(ctx)
	if span.IsRecording() && leader.IsValid() {
		span.AddLink(trace.Link{SpanContext: leader, Attributes: []attribute.KeyValue{attribute.String("ldapauth.link", "merged_into")}})
	}
}

// reasonClass is the low-cardinality reason of a decision, for metrics and
// spans (the free-text reason goes to the log only: it may name a user).
func reasonClass(o Outcome, cacheState, reason string) string {
	switch o {
	case OutcomeGranted:
		if strings.HasPrefix(reason, "served stale") {
			return "stale"
		}
		return "ok"
	case OutcomeUnauthorized:
		switch cacheState {
		case "none":
			return "no_credentials"
		case "negative_hit":
			return "recently_rejected"
		}
		return "invalid_credentials"
	case OutcomeForbidden:
		if strings.HasPrefix(reason, "served stale") {
			return "stale"
		}
		return "access_rules"
	case OutcomeThrottled:
		if strings.Contains(reason, "per_client") {
			return "client_limit"
		}
		return "account_limit"
	case OutcomeBusy:
		return "pool_busy"
	case OutcomeUnavailable:
		return "directory_unavailable"
	case OutcomeMisconfigured:
		return "misconfigured"
	}
	return "other"
}

// countLock counts one lock: scope "account" or "client".
func countLock(scope string) {
	meters.Get().locks.Add(context.Background(), 1, metric.WithAttributes(AttrLockScope.String(scope)))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
