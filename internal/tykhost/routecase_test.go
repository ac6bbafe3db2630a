package tykhost

import (
	"net/http/httptest"
	"reflect"
	"testing"
)

// routeCase is one request through a host and what it must give: the
// answer, what reached the upstream, and the analytics record.
type routeCase struct {
	name       string
	path       string
	headers    map[string]string
	wantStatus int
	wantBody   string            // exact, when set
	wantSeen   map[string]string // response headers the last plugin call set ("" = absent)
	wantPath   string            // what the upstream got, when proxied
	wantAPI    string            // the record's API; "" with a 404: no record at all
	wantVia    []string
}

// check sends the request to srv, which serves h in front of up.
func (tc routeCase) check(t *testing.T, h *Host, srv *httptest.Server, up *upstream) {
	t.Helper()
	h.ResetAnalytics()
	hits := up.count()
	got := do(t, srv, "GET", tc.path, tc.headers, "")
	if got.status != tc.wantStatus || (tc.wantBody != "" && got.body != tc.wantBody) {
		t.Fatalf("got %d %q, want %d %q", got.status, got.body, tc.wantStatus, tc.wantBody)
	}
	for k, v := range tc.wantSeen {
		if got.header.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, got.header.Get(k), v)
		}
	}
	proxied := up.count() > hits
	if proxied != (tc.wantPath != "") {
		t.Fatalf("proxied %v, want %v", proxied, tc.wantPath != "")
	}
	if req, _ := up.last(); proxied && req.URL.RequestURI() != tc.wantPath {
		t.Errorf("upstream got %s, want %s", req.URL.RequestURI(), tc.wantPath)
	}
	if tc.wantStatus == 404 && tc.wantAPI == "" {
		if recs := h.Analytics(); len(recs) != 0 {
			t.Fatalf("an unrouted request was recorded: %+v", recs)
		}
		return
	}
	rec := lastRecord(t, h)
	if rec.APIID != tc.wantAPI || !reflect.DeepEqual(rec.Via, tc.wantVia) || rec.Status != tc.wantStatus || rec.Proxied != proxied {
		t.Errorf("record %+v, want api %s via %v status %d proxied %v", rec, tc.wantAPI, tc.wantVia, tc.wantStatus, proxied)
	}
}
