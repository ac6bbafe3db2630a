package e2e

import (
	"net/http"
	"runtime"
	"strings"
	"testing"
)

// TestBuildAnnouncedOnce: the plugin names its build in the gateway log
// exactly once per process, when it first serves an API, however many APIs
// and requests follow. The test binary's plugin is not stamped, so it says
// "dev" and the Go release that built it.
func TestBuildAnnouncedOnce(t *testing.T) {
	e := newEnv(t)
	e.load(e.api(classic, "version-a", e.direct()), e.api(tykOAS, "version-b", e.direct()))
	for _, api := range []string{"version-a", "version-b", "version-a"} {
		h := http.Header{}
		h.Set("Authorization", basic("alice", "alice-pass-1"))
		if r := e.do("/"+api+"/", h); r.status != 200 {
			t.Fatalf("%s: status %d, want 200", api, r.status)
		}
	}
	want := "tyk-ldap-auth dev (" + runtime.Version() + ")"
	lines := logLines(gatewayLog.since(0), want)
	if len(lines) != 1 {
		t.Fatalf("%d log lines name the build %q, want exactly 1:\n%s", len(lines), want, strings.Join(lines, "\n"))
	}
	if !strings.Contains(lines[0], "version=dev") || !strings.Contains(lines[0], "go="+runtime.Version()) {
		t.Errorf("the build line lacks its fields: %s", lines[0])
	}
}
