package tykhost

import (
	"net/http"
	"net/http/httputil"
	"strings"

	"github.com/TykTechnologies/tyk/log"
)

// newProxy builds the spec's reverse proxy to its target_url. The listen
// path is stripped before the request gets here when strip_listen_path is
// set (SuccessHandler.ServeHTTP), then the target path is joined in front.
//
// Go's ReverseProxy applies its own hop-by-hop rule and drops X-Forwarded-*
// and unparsable query parameters before Rewrite runs; Tyk's proxy does
// none of that, so Rewrite rebuilds the outgoing header from the incoming
// request with Tyk's rule (upstreamHeader) and restores the raw query.
func (h *Host) newProxy(s *apiSpec) http.Handler {
	target := s.target
	version := h.opts.GatewayVersion
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.RawQuery = pr.In.URL.RawQuery
			pr.SetURL(target)
			pr.Out.Header = upstreamHeader(pr.In, version)
		},
		Transport: h.opts.Transport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if sw, ok := w.(*statusWriter); ok {
				sw.proxyFailed = true
			}
			log.Get().WithError(err).Error(msgProxyFailed)
			writeTykError(w, msgProxyFailed, http.StatusInternalServerError)
		},
	}
}

// stripListenPath is internal/httputil.StripListenPath for a plain listen
// path (mux templates are not modelled): the listen path is cut only when
// the path starts with all of it, and the result starts with "/".
func stripListenPath(path, listenPath string) string {
	path = strings.TrimPrefix(path, listenPath)
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return path
}

// statusWriter remembers the status the proxy wrote, for analytics.
type statusWriter struct {
	http.ResponseWriter
	code        int
	proxyFailed bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets streamed upstream responses through.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
