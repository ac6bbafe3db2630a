package tykhost

import (
	"bytes"
	"io"
	"net/http"

	"github.com/TykTechnologies/tyk/ctx"
	"github.com/TykTechnologies/tyk/log"
)

// customResponseWriter mirrors the wrapper Tyk hands to the plugin
// (gateway/mw_go_plugin.go): it records whether anything was written and
// with which status. Write without WriteHeader counts as 200.
type customResponseWriter struct {
	http.ResponseWriter
	responseSent   bool
	statusCodeSent int
}

func (w *customResponseWriter) Write(b []byte) (int, error) {
	w.responseSent = true
	if w.statusCodeSent == 0 {
		w.statusCodeSent = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *customResponseWriter) WriteHeader(statusCode int) {
	w.responseSent = true
	w.statusCodeSent = statusCode
	w.ResponseWriter.WriteHeader(statusCode)
}

// goPluginAuth runs the auth_check plugin and applies Tyk's outcome rules.
// It reports whether the chain continues.
func (h *Host) goPluginAuth(s *apiSpec, w http.ResponseWriter, r *http.Request, rec *Record) bool {
	if s.handler == nil {
		// Load failed: the API is up but every request gets a 500 with the
		// gateway's error body.
		h.fail(s, w, r, rec, msgInternalFailure, http.StatusInternalServerError, true)
		return false
	}
	restoreBody := bufferBody(r)
	rw := &customResponseWriter{ResponseWriter: w}
	endSpan := h.middlewareSpan(s, r)
	panicked := h.callPlugin(s, rw, r)
	endSpan()
	restoreBody()
	if panicked {
		// Up to v5.11: ProcessRequest returns a 500 error, but the gateway
		// writes no error body for a loaded Go plugin.
		h.fail(s, w, r, rec, "", http.StatusInternalServerError, false)
		return false
	}
	if sess := ctx.GetSession(r); sess != nil {
		// Since v5.3 the gateway applies the session's policies right
		// after the plugin returns, before it looks at what the plugin
		// wrote (the same order at v5.3.13, v5.8.0, v5.8.12, v5.8.15 and
		// v5.14.0).
		if err := h.policies.Apply(sess, s.orgID); err != nil {
			log.Get().WithError(err).Error("Could not apply policy to session")
			// A 500 error for a loaded plugin: recorded, nothing written
			// by the gateway, not proxied.
			h.fail(s, w, r, rec, "", http.StatusInternalServerError, false)
			return false
		}
	}
	if rw.responseSent {
		// >= 400: the client gets exactly what the plugin wrote (Tyk adds
		// nothing). < 400: served as written and never proxied.
		rec.Status = rw.statusCodeSent
		h.updateSession(s, r)
		return false
	}
	h.updateSession(s, r)
	return true
}

// callPlugin injects the definition the way APISpec.injectIntoReqContext
// does and calls the plugin, handling a panic per the configured mode.
func (h *Host) callPlugin(s *apiSpec, rw *customResponseWriter, r *http.Request) (panicked bool) {
	defer func() {
		if e := recover(); e != nil {
			log.Get().WithField("panic", e).Error("Recovered from panic while running Go-plugin middleware func")
			if h.opts.PanicMode == PanicDropConnection {
				// v5.12+: a second panic reaches net/http, which drops
				// the connection. ErrAbortHandler has the same effect
				// without printing a stack trace.
				panic(http.ErrAbortHandler)
			}
			panicked = true
		}
	}()
	if s.isOAS {
		ctx.SetOASDefinition(r, &s.oas)
	} else {
		ctx.SetDefinition(r, s.classic)
	}
	s.handler(rw, r)
	return false
}

// bufferBody makes the request body readable again after the plugin, like
// Tyk's nopCloseRequestBody, and returns the function that rewinds it.
func bufferBody(r *http.Request) func() {
	if r.Body == nil || r.Body == http.NoBody {
		return func() {}
	}
	b, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		log.Get().WithError(err).Error("Could not read request body")
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return func() { r.Body = io.NopCloser(bytes.NewReader(b)) }
}
