package ldapauth

import (
	"context"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/oteltest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
)

// telemetryRig installs SDK providers as the global ones, as a gateway
// with opentelemetry enabled does, and puts the no-op ones back after.
type telemetryRig struct {
	spans   *tracetest.SpanRecorder
	tp      *sdktrace.TracerProvider
	metrics *sdkmetric.ManualReader
}

func newTelemetryRig(t *testing.T) *telemetryRig {
	rig := &telemetryRig{spans: tracetest.NewSpanRecorder()}
	rig.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rig.spans))
	rig.metrics = oteltest.Install(t, rig.tp)
	return rig
}

// serve runs one request inside a server span, as Tyk's otelhttp handler
// does, and returns that span's id.
func (rig *telemetryRig) serve(g *Gate, user, pass string) (Result, sdktrace.ReadOnlySpan) {
	ctx, span := rig.tp.Tracer("gateway").Start(context.Background(), "api")
	res := g.Check(request(user, pass).WithContext(ctx))
	span.End()
	ended := rig.spans.Ended()
	return res, ended[len(ended)-1]
}

func (rig *telemetryRig) children(parent sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range rig.spans.Ended() {
		if s.Parent().SpanID() == parent.SpanContext().SpanID() {
			out = append(out, s)
		}
	}
	return out
}

func attr(s sdktrace.ReadOnlySpan, k attribute.Key) (attribute.Value, bool) {
	for _, kv := range s.Attributes() {
		if kv.Key == k {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name())
	}
	return out
}

// secretsIn lists the forbidden strings any span attribute or event holds.
func (rig *telemetryRig) secretsIn(forbidden ...string) []string {
	var found []string
	for _, s := range rig.spans.Ended() {
		var text []string
		for _, kv := range s.Attributes() {
			text = append(text, kv.Value.Emit())
		}
		for _, e := range s.Events() {
			text = append(text, e.Name)
			for _, kv := range e.Attributes {
				text = append(text, kv.Value.Emit())
			}
		}
		text = append(text, s.Status().Description)
		joined := strings.Join(text, " ")
		for _, f := range forbidden {
			if strings.Contains(joined, f) {
				found = append(found, s.Name()+" holds "+f)
			}
		}
	}
	return found
}

// sum returns the total of metric name over data points whose attributes
// include want (see oteltest.Sum).
func (rig *telemetryRig) sum(t *testing.T, name string, want ...attribute.KeyValue) int64 {
	t.Helper()
	total, _ := oteltest.Sum(t, rig.metrics, name, want...)
	return total
}

func TestTelemetryColdAuthenticationSpanTree(t *testing.T) {
	srv := sharedLDAP(t)
	rig := newTelemetryRig(t)
	g, _ := newTestGate(t, searchConfig(srv, map[string]any{"required_groups": "developers", "group_base_dn": slapdtest.GroupsDN}))

	res, api := rig.serve(g, "alice", "alice-pass-1")
	expectOutcome(t, res, OutcomeGranted)
	auth := rig.children(api)
	if len(auth) != 1 || auth[0].Name() != SpanAuthenticate {
		t.Fatalf("children of the request span: %v, want one %s", names(auth), SpanAuthenticate)
	}
	a := auth[0]
	for k, want := range map[attribute.Key]string{AttrOutcome: "granted", AttrCache: "miss", AttrAPIID: "api-test", AttrReason: "ok"} {
		if v, _ := attr(a, k); v.AsString() != want {
			t.Errorf("%s = %q, want %q", k, v.AsString(), want)
		}
	}
	if _, ok := attr(a, AttrUser); ok {
		t.Error("enduser.id set without trace_usernames")
	}
	got := strings.Join(names(rig.children(a)), ",")
	for _, want := range []string{"ldap.connect", "ldap.search", "ldap.user_bind", "ldap.groups"} {
		if !strings.Contains(got, want) {
			t.Errorf("authentication children %s lack %s", got, want)
		}
	}
	serviceBinds := 0
	for _, s := range rig.spans.Ended() {
		switch s.Name() {
		case "ldap.connect":
			if strings.Contains(strings.Join(names(rig.children(s)), ","), "ldap.service_bind") {
				serviceBinds++
			}
		case "ldap.user_bind":
			if v, ok := attr(s, "server.address"); !ok || v.AsString() != "127.0.0.1" {
				t.Errorf("user bind server.address = %q", v.AsString())
			}
			if v, _ := attr(s, directory.AttrResultCode); v.AsInt64() != 0 {
				t.Errorf("user bind result code %d", v.AsInt64())
			}
		case "ldap.groups":
			if len(rig.children(s)) == 0 {
				t.Error("the group lookup shows no searches")
			}
		}
		if s.Status().Code == codes.Error {
			t.Errorf("span %s marked as error on a granted request", s.Name())
		}
	}
	if serviceBinds != 1 {
		t.Errorf("%d connections show a service-account bind, want 1 (the service pool's)", serviceBinds)
	}
	if found := rig.secretsIn("alice-pass-1", slapdtest.ServiceAccountPassword, "alice", "Basic "); len(found) > 0 {
		t.Errorf("secrets or usernames in spans: %v", found)
	}

	// A cache hit: no new span, the answer on the request's span.
	before := len(rig.spans.Ended())
	res, api = rig.serve(g, "alice", "alice-pass-1")
	expectOutcome(t, res, OutcomeGranted)
	if n := len(rig.spans.Ended()) - before; n != 1 {
		t.Fatalf("a cache hit produced %d spans, want only the request's", n)
	}
	if v, _ := attr(api, AttrCache); v.AsString() != "hit" {
		t.Errorf("request span ldapauth.cache = %q, want hit", v.AsString())
	}

	if n := rig.sum(t, "ldapauth.requests", AttrOutcome.String("granted"), AttrCache.String("hit"), AttrAPIID.String("api-test")); n != 1 {
		t.Errorf("ldapauth.requests granted/hit = %d, want 1", n)
	}
	if n := rig.sum(t, "ldapauth.cache.lookups", attribute.String("ldapauth.cache.result", "hit")); n != 1 {
		t.Errorf("cache hits = %d, want 1", n)
	}
	if n := rig.sum(t, "ldap.client.operation.duration", directory.AttrOperation.String("user_bind"), attribute.String("server.address", "127.0.0.1")); n != 1 {
		t.Errorf("user bind durations recorded = %d, want 1", n)
	}
	if n := rig.sum(t, "ldap.client.connection.count", attribute.String("ldap.pool", "service")); n != 0 {
		t.Errorf("service connections in use after the requests = %d, want 0", n)
	}
}

func TestTelemetryOutcomes(t *testing.T) {
	srv := sharedLDAP(t)
	tests := []struct {
		name      string
		cfg       map[string]any
		user      string
		pass      string
		want      Outcome
		wantError bool
	}{
		{"wrong password is not an error", directConfig(srv, nil), "bob", "wrong", OutcomeUnauthorized, false},
		{"unknown user is not an error", searchConfig(srv, nil), "nobody-here", "x", OutcomeUnauthorized, false},
		{"forbidden is not an error", searchConfig(srv, map[string]any{"required_groups": "developers", "group_base_dn": slapdtest.GroupsDN}), "carol", "carol-pass-1", OutcomeForbidden, false},
		{"unreachable directory is an error", merge(directConfig(srv, fastTimeouts), map[string]any{"urls": deadURL(t)}), "bob", "bob-pass-1", OutcomeUnavailable, true},
		{"usernames on request", directConfig(srv, map[string]any{"trace_usernames": true}), "bob", "bob-pass-1", OutcomeGranted, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rig := newTelemetryRig(t)
			g, _ := newTestGate(t, tt.cfg)
			res, api := rig.serve(g, tt.user, tt.pass)
			expectOutcome(t, res, tt.want)
			auth := rig.children(api)
			if len(auth) != 1 {
				t.Fatalf("children %v", names(auth))
			}
			if v, _ := attr(auth[0], AttrOutcome); v.AsString() != tt.want.String() {
				t.Errorf("outcome attribute %q, want %q", v.AsString(), tt.want)
			}
			if got := auth[0].Status().Code == codes.Error; got != tt.wantError {
				t.Errorf("span error = %v, want %v (%s)", got, tt.wantError, auth[0].Status().Description)
			}
			user, named := attr(auth[0], AttrUser)
			wantNamed := tt.cfg["trace_usernames"] == true
			if named != wantNamed || (named && user.AsString() != tt.user) {
				t.Errorf("enduser.id = %q (present %v), want present %v", user.AsString(), named, wantNamed)
			}
			if found := rig.secretsIn(tt.pass); len(found) > 0 && tt.pass != "x" {
				t.Errorf("password in spans: %v", found)
			}
			if n := rig.sum(t, "ldapauth.requests", AttrOutcome.String(tt.want.String())); n != 1 {
				t.Errorf("ldapauth.requests{outcome=%s} = %d, want 1", tt.want, n)
			}
			if tt.want == OutcomeUnavailable {
				if n := rig.sum(t, "ldap.client.servers.down"); n != 1 {
					t.Errorf("servers down = %d, want 1", n)
				}
			}
		})
	}
}

// blockingDirectory holds every authentication until release is closed.
type blockingDirectory struct {
	Authenticator
	started chan struct{}
	release chan struct{}
}

func (b *blockingDirectory) Authenticate(ctx context.Context, u, p string, guard directory.BindGuard) (*directory.Identity, error) {
	b.started <- struct{}{}
	<-b.release
	return b.Authenticator.Authenticate(ctx, u, p, guard)
}

func TestTelemetryMergedWaiterLinksToLeader(t *testing.T) {
	srv := sharedLDAP(t)
	rig := newTelemetryRig(t)
	cfg := mustConfig(t, directConfig(srv, nil))
	real, err := directory.New(cfg.Directory)
	if err != nil {
		t.Fatal(err)
	}
	dir := &blockingDirectory{Authenticator: real, started: make(chan struct{}, 1), release: make(chan struct{})}
	g, _ := newTestGateWith(t, directConfig(srv, nil), GateOptions{Directory: dir})
	joined := make(chan struct{}, 1)
	g.flights.OnJoin(func(string) { joined <- struct{}{} })

	var wg sync.WaitGroup
	results := make([]sdktrace.ReadOnlySpan, 2)
	run := func(i int) {
		defer wg.Done()
		_, results[i] = rig.serve(g, "bob", "bob-pass-1")
	}
	wg.Add(2)
	go run(0)
	<-dir.started
	go run(1)
	<-joined
	close(dir.release)
	wg.Wait()

	var leader, waiter sdktrace.ReadOnlySpan
	for _, s := range rig.spans.Ended() {
		if s.Name() != SpanAuthenticate {
			continue
		}
		if v, _ := attr(s, AttrCache); v.AsString() == "merged" {
			waiter = s
		} else {
			leader = s
		}
	}
	if leader == nil || waiter == nil {
		t.Fatal("want one leading and one merged authentication span")
	}
	if len(waiter.Links()) != 1 || waiter.Links()[0].SpanContext.SpanID() != leader.SpanContext().SpanID() {
		t.Fatalf("merged span links %v, want the leader's span %s", waiter.Links(), leader.SpanContext().SpanID())
	}
	if len(rig.children(leader)) == 0 {
		t.Error("the leader's span has no directory spans: the check ran outside the request's trace")
	}
	if len(rig.children(waiter)) != 0 {
		t.Error("the merged waiter ran directory operations of its own")
	}
}
