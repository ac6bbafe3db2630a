package jaegertest_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/jaegertest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost/otelsetup"
)

// TestRoundTrip sends a parent and a child span over OTLP and reads them
// back through the query API: names, parentage, attributes, error status.
func TestRoundTrip(t *testing.T) {
	j := jaegertest.New(t)
	tp, err := otelsetup.Setup(otelsetup.Config{Endpoint: j.OTLPEndpoint(), ResourceName: "jaegertest"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tp.Shutdown(context.Background()) }()
	ctx, parent := tp.Tracer("test").Start(context.Background(), "parent")
	_, child := tp.Tracer("test").Start(ctx, "child")
	child.SetAttributes(attribute.String("k", "v"), attribute.Int("n", 7))
	child.SetStatus(codes.Error, "broken")
	child.End()
	parent.End()
	if err := tp.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	tr := j.WaitTrace(t, parent.SpanContext().TraceID().String(), 2, 10*time.Second)
	p := tr.Find("parent")
	c := tr.Find("child")
	if len(p) != 1 || len(c) != 1 {
		t.Fatalf("spans %+v", tr.Spans)
	}
	if c[0].Parent() != p[0].SpanID || len(tr.Children(p[0].SpanID)) != 1 {
		t.Errorf("child's parent %q, want %q", c[0].Parent(), p[0].SpanID)
	}
	if v, _ := c[0].Tag("k"); v != "v" {
		t.Errorf("tag k = %v", v)
	}
	if v, _ := c[0].Tag("n"); v != float64(7) {
		t.Errorf("tag n = %v (%T)", v, v)
	}
	if v, _ := c[0].Tag("error"); v != true {
		t.Errorf("error tag = %v", v)
	}
	if svc := tr.Processes[c[0].ProcessID].ServiceName; svc != "jaegertest" {
		t.Errorf("service %q", svc)
	}
	if _, err := j.Trace("0123456789abcdef0123456789abcdef"); err == nil {
		t.Error("an unknown trace was found")
	}
}
