package e2etest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
)

// Basic is the Authorization value for HTTP Basic credentials.
func Basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// Reply is what the client got, plus what the upstream saw when the
// request was proxied.
type Reply struct {
	Status int
	Header http.Header
	Body   string
	Seen   *Seen // nil when the upstream did not answer
}

// Get sends GET base+path with the given headers (several values of one
// header are sent as separate header lines). It does not fail the test, so
// goroutines may call it.
func Get(client *http.Client, base, path string, header http.Header) (Reply, error) {
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		return Reply{}, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return Reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return Reply{}, err
	}
	r := Reply{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
	if resp.Header.Get(UpstreamMarker) != "" {
		r.Seen = &Seen{}
		if err := json.Unmarshal(b, r.Seen); err != nil {
			return Reply{}, fmt.Errorf("upstream body %q: %v", b, err)
		}
	}
	return r, nil
}

// WaitRecords waits until host has recorded n analytics records and
// returns them. The host records a request after the response has been
// written, so a client can see the answer a moment before the record (and
// the session write that precedes it) exists.
func WaitRecords(t testing.TB, host *tykhost.Host, n int) []tykhost.Record {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		recs := host.Analytics()
		if len(recs) >= n {
			return recs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d analytics records after 5s, want %d", len(recs), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
