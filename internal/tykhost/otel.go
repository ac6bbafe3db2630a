package tykhost

import (
	"net/http"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// hostTracerName is the tracer the host's own spans come from, standing in
// for the gateway's.
const hostTracerName = "github.com/TykTechnologies/tyk"

// serveTraced runs the API's chain inside a server span, as
// gateway/api_loader.go does with opentelemetry enabled: Tyk wraps each
// API's chain in TykTechnologies/opentelemetry's NewHTTPHandler, an
// otelhttp handler named "METHOD /path" that extracts the caller's trace
// context with the global propagator, carries Tyk's API attributes
// (otel.ApidefSpanAttributes) and puts the span in r.Context().
func (h *Host) serveTraced(s *apiSpec, w http.ResponseWriter, r *http.Request, rec *Record) {
	ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := otel.GetTracerProvider().Tracer(hostTracerName).Start(ctx, r.Method+" "+r.URL.Path,
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			attribute.String("http.request.method", r.Method),
			attribute.String("url.path", r.URL.Path),
			attribute.String("tyk.api.name", s.name),
			attribute.String("tyk.api.orgid", s.orgID),
			attribute.String("tyk.api.id", s.apiID),
			attribute.String("tyk.api.listenpath", s.listenPath),
		))
	defer span.End()
	sw := &tracedWriter{ResponseWriter: w, status: http.StatusOK}
	h.serveChain(s, sw, r.WithContext(ctx), rec)
	span.SetAttributes(attribute.Int("http.response.status_code", sw.status))
	if sw.status >= 500 {
		span.SetStatus(codes.Error, "")
	}
}

// middlewareSpan opens the plugin's own span when the API has
// detailed_tracing, as gateway/middleware.go's createMiddleware does: the
// span is named after the middleware ("GoPluginMiddleware: PATH:SYMBOL")
// and replaces r's context in place (Tyk's setContext). It returns the
// function that ends the span.
func (h *Host) middlewareSpan(s *apiSpec, r *http.Request) (end func()) {
	if !h.opts.OpenTelemetry || !s.detailedTracing {
		return func() {}
	}
	name := "GoPluginMiddleware: " + s.authCheck.Path + ":" + s.authCheck.Name
	ctx, span := otel.GetTracerProvider().Tracer(hostTracerName).Start(r.Context(), name)
	*r = *r.WithContext(ctx)
	return func() { span.End() }
}

// tracedWriter remembers the status written.
type tracedWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *tracedWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *tracedWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *tracedWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
