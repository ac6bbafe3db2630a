package e2e

import (
	"context"
	"debug/buildinfo"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/TykTechnologies/tyk/apidef"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/jaegertest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/oteltest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testproc"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testserver"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost/otelsetup"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost/plugintest"
)

// traced is a gateway with opentelemetry enabled exporting to a real
// Jaeger, and a metrics reader on the global meter provider (Tyk 5.13+
// registers one with opentelemetry.metrics).
type traced struct {
	*env
	jaeger  *jaegertest.Server
	tp      *sdktrace.TracerProvider
	metrics *sdkmetric.ManualReader
	seq     int
}

func newTraced(t *testing.T) *traced {
	t.Helper()
	jaeger := jaegertest.New(t)
	tp, err := otelsetup.Setup(otelsetup.Config{Endpoint: jaeger.OTLPEndpoint()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	reader := oteltest.Install(t, nil)
	return &traced{env: newEnvWith(t, tykhost.Options{OpenTelemetry: true}), jaeger: jaeger, tp: tp, metrics: reader}
}

func detailedTracing(d *apidef.APIDefinition) { d.DetailedTracing = true }

// send sends one request as the start of a new trace (the client's
// traceparent, which the gateway continues) and returns the trace's id.
func (tr *traced) send(id, user, pass string) (reply, string) {
	tr.seq++
	traceID := fmt.Sprintf("%032x", time.Now().UnixNano()+int64(tr.seq))
	h := http.Header{
		"Authorization": {basic(user, pass)},
		"Traceparent":   {"00-" + traceID + "-00f067aa0ba902b7-01"},
	}
	r := replyFrom(tr.gateway().Do("/"+id+"/", h))
	if err := tr.tp.ForceFlush(context.Background()); err != nil {
		tr.t.Fatalf("flush spans: %v", err)
	}
	return r, traceID
}

func tagString(sp jaegertest.Span, key string) string {
	v, _ := sp.Tag(key)
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func only(t *testing.T, spans []jaegertest.Span, what string) jaegertest.Span {
	t.Helper()
	if len(spans) != 1 {
		t.Fatalf("%d spans %s, want 1", len(spans), what)
	}
	return spans[0]
}

// leaks lists every tag, log field and operation name of tr holding one of
// the forbidden strings.
func leaks(tr jaegertest.Trace, forbidden ...string) []string {
	var found []string
	for _, sp := range tr.Spans {
		texts := []string{sp.OperationName}
		for _, kv := range sp.Tags {
			texts = append(texts, fmt.Sprint(kv.Value))
		}
		for _, l := range sp.Logs {
			for _, kv := range l.Fields {
				texts = append(texts, fmt.Sprint(kv.Value))
			}
		}
		all := strings.Join(texts, "\x00")
		for _, f := range forbidden {
			if strings.Contains(all, f) {
				found = append(found, sp.OperationName+" holds "+f)
			}
		}
	}
	return found
}

func TestTracesInJaeger(t *testing.T) {
	tr := newTraced(t)
	cfg := tr.search("group_source", "search", "group_base_dn", slapdtest.GroupsDN, "required_groups", []string{"developers"})
	tr.load(tr.api(classic, "otel-detailed", cfg, detailedTracing), tr.api(classic, "otel-plain", cfg))
	mw := "GoPluginMiddleware: " + tr.so + ":LDAPAuth"
	secrets := append(samplePasswords(), basic("alice", "alice-pass-1"), "alice", "uid=alice")

	// A cold authentication: gateway span, plugin span, the authentication
	// and the directory's operations under it.
	r, id := tr.send("otel-detailed", "alice", "alice-pass-1")
	if r.status != http.StatusOK {
		t.Fatalf("alice got %d", r.status)
	}
	cold := tr.jaeger.WaitTrace(t, id, 7, 10*time.Second)
	server := only(t, cold.Find("GET /otel-detailed/"), "for the API")
	plugin := only(t, cold.Children(server.SpanID), "under the API span")
	if plugin.OperationName != mw {
		t.Fatalf("the API span's child is %q, want %q", plugin.OperationName, mw)
	}
	auth := only(t, cold.Children(plugin.SpanID), "under the plugin span")
	if auth.OperationName != "ldapauth.authenticate" {
		t.Fatalf("the plugin span's child is %q", auth.OperationName)
	}
	for key, want := range map[string]string{"ldapauth.outcome": "granted", "ldapauth.cache": "miss", "tyk.api.id": "otel-detailed"} {
		if got := tagString(auth, key); got != want {
			t.Errorf("authentication tag %s = %q, want %q", key, got, want)
		}
	}
	var ops []string
	for _, sp := range cold.Children(auth.SpanID) {
		ops = append(ops, sp.OperationName)
		if got := tagString(sp, "server.address"); got != "127.0.0.1" {
			t.Errorf("%s server.address = %q", sp.OperationName, got)
		}
	}
	for _, want := range []string{"ldap.connect", "ldap.search", "ldap.user_bind", "ldap.groups"} {
		if !strings.Contains(strings.Join(ops, " "), want) {
			t.Errorf("the authentication's children %v lack %s", ops, want)
		}
	}
	if len(cold.Find("ldap.service_bind")) == 0 {
		t.Error("no service-account bind span")
	}
	for _, sp := range cold.Spans {
		if v, _ := sp.Tag("error"); v == true {
			t.Errorf("span %s marked as error on a granted request", sp.OperationName)
		}
	}
	if found := leaks(cold, secrets...); len(found) > 0 {
		t.Errorf("secrets or the username in Jaeger: %v", found)
	}

	// The same credentials again: a cache hit makes no span of its own; the
	// plugin's span says so.
	_, id = tr.send("otel-detailed", "alice", "alice-pass-1")
	hit := tr.jaeger.WaitTrace(t, id, 2, 10*time.Second)
	if n := len(hit.Spans); n != 2 {
		t.Errorf("a cache hit left %d spans, want 2 (API and plugin)", n)
	}
	plugin = only(t, hit.Find(mw), "for the plugin")
	if got := tagString(plugin, "ldapauth.cache"); got != "hit" {
		t.Errorf("plugin span ldapauth.cache = %q, want hit", got)
	}

	// Without detailed_tracing the authentication hangs off the API span.
	_, id = tr.send("otel-plain", "bob", "wrong-password")
	denied := tr.jaeger.WaitTrace(t, id, 3, 10*time.Second)
	server = only(t, denied.Find("GET /otel-plain/"), "for the API")
	auth = only(t, denied.Children(server.SpanID), "under the API span")
	if got := tagString(auth, "ldapauth.outcome"); got != "unauthorized" {
		t.Errorf("wrong password outcome %q", got)
	}
	if v, _ := auth.Tag("error"); v == true {
		t.Error("a wrong password marked the span as an error")
	}
	if found := leaks(denied, "wrong-password", "bob"); len(found) > 0 {
		t.Errorf("secrets or the username in Jaeger: %v", found)
	}

	// Metrics through the SDK reader.
	var rm metricdata.ResourceMetrics
	if err := tr.metrics.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"ldapauth.requests": false, "ldapauth.cache.lookups": false, "ldap.client.operation.duration": false, "ldap.client.connection.count": false}
	var granted int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if _, ok := want[m.Name]; ok {
				want[m.Name] = true
			}
			if s, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "ldapauth.requests" {
				for _, dp := range s.DataPoints {
					if v, _ := dp.Attributes.Value(attribute.Key("ldapauth.outcome")); v.AsString() == "granted" {
						granted += dp.Value
					}
				}
			}
		}
	}
	for name, seen := range want {
		if !seen {
			t.Errorf("metric %s not reported", name)
		}
	}
	if granted != 2 {
		t.Errorf("ldapauth.requests{outcome=granted} = %d, want 2", granted)
	}
}

// TestTracesUnavailableDirectory: a directory that does not answer is the
// gateway's problem, so the authentication span is an error.
func TestTracesUnavailableDirectory(t *testing.T) {
	tr := newTraced(t)
	tr.load(tr.api(classic, "otel-down", tr.direct("urls", slapdtest.ClosedPortURL(t), "dial_timeout", "300ms", "request_timeout", "500ms")))
	r, id := tr.send("otel-down", "alice", "alice-pass-1")
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("got %d, want 503", r.status)
	}
	down := tr.jaeger.WaitTrace(t, id, 3, 10*time.Second)
	auth := only(t, down.Find("ldapauth.authenticate"), "for the authentication")
	if v, _ := auth.Tag("error"); v != true {
		t.Errorf("503 authentication not marked as error; tags %v", auth.Tags)
	}
	if got := tagString(auth, "ldapauth.outcome"); got != "unavailable" {
		t.Errorf("outcome %q", got)
	}
	connect := only(t, down.Find("ldap.connect"), "for the dial")
	if v, _ := connect.Tag("error"); v != true {
		t.Error("the failed dial is not marked as error")
	}
}

// TestPluginLinksOnlyTheOpenTelemetryAPI: Go loads a plugin only when every
// package it shares with the host is the same build, so the OpenTelemetry
// modules the .so links must be the host's, at the version every
// supported gateway can offer (v1.32.0); the SDK and exporters are the
// gateway's business and must not be in the plugin.
func TestPluginLinksOnlyTheOpenTelemetryAPI(t *testing.T) {
	e := newEnv(t)
	so, err := buildinfo.ReadFile(e.so)
	if err != nil {
		t.Fatalf("build info of %s: %v", e.so, err)
	}
	hostBin := plugintest.BuildCommand(t, "../tykhost/cmd/contracthost")
	host, err := buildinfo.ReadFile(hostBin)
	if err != nil {
		t.Fatalf("build info of the contract host: %v", err)
	}
	hostVersions := map[string]string{}
	for _, m := range host.Deps {
		hostVersions[m.Path] = m.Version
	}
	linked := map[string]string{}
	for _, m := range so.Deps {
		if strings.HasPrefix(m.Path, "go.opentelemetry.io/") {
			linked[m.Path] = m.Version
		}
	}
	for _, mod := range []string{"go.opentelemetry.io/otel", "go.opentelemetry.io/otel/trace", "go.opentelemetry.io/otel/metric"} {
		if linked[mod] != "v1.32.0" {
			t.Errorf("plugin links %s %q, want v1.32.0", mod, linked[mod])
		}
	}
	for mod, v := range linked {
		if hostVersions[mod] != v {
			t.Errorf("plugin links %s %s, the host %s", mod, v, hostVersions[mod])
		}
		if strings.Contains(mod, "/sdk") || strings.Contains(mod, "/exporters/") || strings.Contains(mod, "/contrib/") {
			t.Errorf("plugin links %s: only the OpenTelemetry API belongs in it", mod)
		}
	}
}

// TestContractHostExportsToJaeger: the contract host as its own process
// with -otel-endpoint (opentelemetry.enabled, exporter "http") puts the
// plugin's spans into the gateway's trace in Jaeger, under the plugin's
// span of detailed_tracing.
func TestContractHostExportsToJaeger(t *testing.T) {
	ldap := slapdtest.StartT(t)
	jaeger := jaegertest.New(t)
	so := plugintest.BuildPlugin(t, "../../plugin")
	host := plugintest.BuildCommand(t, "../tykhost/cmd/contracthost")
	up := newUpstream(t)
	api := map[string]any{
		"name": "traced", "api_id": "traced", "org_id": "default", "active": true,
		"custom_plugin_auth_enabled": true, "detailed_tracing": true,
		"version_data": map[string]any{"not_versioned": true, "default_version": "Default",
			"versions": map[string]any{"Default": map[string]any{"name": "Default"}}},
		"proxy":             map[string]any{"listen_path": "/traced/", "target_url": up.URL, "strip_listen_path": true},
		"custom_middleware": map[string]any{"driver": "goplugin", "auth_check": map[string]any{"name": "LDAPAuth", "path": so}},
		"config_data":       map[string]any{"urls": ldap.URL(), "user_dn_template": peopleTemplate},
	}
	dir := t.TempDir()
	apiFile := writeJSON(t, filepath.Join(dir, "api.json"), api)
	addr := testutil.ClosedAddr(t)
	logPath := filepath.Join(dir, "host.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(host, "-listen", addr, "-api", apiFile, "-otel-endpoint", jaeger.OTLPEndpoint(), "-otel-resource-name", "gw-under-test")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	p, err := testproc.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Terminate(5 * time.Second); logFile.Close() })
	base := "http://" + addr
	if err := testserver.WaitReady(p, 20*time.Second, 20*time.Millisecond, "contracthost", "answer /hello", func() error {
		resp, err := http.Get(base + "/hello")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}); err != nil {
		t.Fatal(testserver.WithLogTail(err, "contracthost", logPath, 40))
	}

	traceID := fmt.Sprintf("%032x", time.Now().UnixNano())
	req, _ := http.NewRequest("GET", base+"/traced/", nil)
	req.Header.Set("Authorization", basic("bob", "bob-pass-1"))
	req.Header.Set("Traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("bob got %d", resp.StatusCode)
	}
	// The host batches spans (100 ms); poll Jaeger until they are there.
	tr := jaeger.WaitTrace(t, traceID, 5, 20*time.Second)
	plugin := only(t, tr.Find("GoPluginMiddleware: "+so+":LDAPAuth"), "for the plugin")
	auth := only(t, tr.Children(plugin.SpanID), "under the plugin span")
	if auth.OperationName != "ldapauth.authenticate" || tagString(auth, "ldapauth.outcome") != "granted" {
		t.Errorf("under the plugin span: %s outcome %q", auth.OperationName, tagString(auth, "ldapauth.outcome"))
	}
	if svc := tr.Processes[auth.ProcessID].ServiceName; svc != "gw-under-test" {
		t.Errorf("service %q, want the host's resource name", svc)
	}
	if found := leaks(tr, "bob-pass-1", basic("bob", "bob-pass-1")); len(found) > 0 {
		t.Errorf("secrets in Jaeger: %v", found)
	}
}
