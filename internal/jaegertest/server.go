package jaegertest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testproc"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testserver"
)

// Server is a running Jaeger.
type Server struct {
	otlpHTTP string // host:port of the OTLP/HTTP receiver
	query    string // base URL of the query API and UI
	proc     *testproc.Process
	log      string
	client   *http.Client
}

// config is Jaeger's collector configuration: OTLP/HTTP in, memory
// storage, query API and UI out, health check for readiness; nothing on a
// fixed port, nothing off loopback, no self-telemetry.
const config = `service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: info
extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:%[1]d
  jaeger_query:
    enable_tracing: false
%[5]s    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:%[2]d
    grpc:
      endpoint: 127.0.0.1:%[3]d
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%[4]d
processors:
  batch:
    timeout: 50ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`

// UIAssetsEnv names a directory holding a built Jaeger UI (jaeger-ui's
// packages/jaeger-ui/build). Jaeger built from the Go module proxy serves
// only a placeholder page: its UI is built with npm, not Go. The query
// API works either way; only screenshots need the real UI.
const UIAssetsEnv = "JAEGER_UI_ASSETS"

// New starts a Jaeger for the test and stops it when the test ends. A
// missing or unbuildable Jaeger fails the test.
func New(tb testing.TB) *Server {
	tb.Helper()
	s, err := Start(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// Start builds Jaeger if needed and starts it with its files in dir.
func Start(dir string) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	var s *Server
	err = testserver.RetryPortClash(func() error {
		ports, err := testserver.FreePorts(4)
		if err != nil {
			return err
		}
		s, err = start(bin, dir, ports)
		return err
	})
	return s, err
}

func start(bin, dir string, ports []int) (*Server, error) {
	cfg := filepath.Join(dir, "jaeger.yaml")
	ui := ""
	if assets := os.Getenv(UIAssetsEnv); assets != "" {
		if _, err := os.Stat(filepath.Join(assets, "index.html")); err != nil {
			return nil, fmt.Errorf("jaegertest: %s: %w", UIAssetsEnv, err)
		}
		ui = fmt.Sprintf("    ui:\n      assets_path: %q\n", assets)
	}
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(config, ports[0], ports[1], ports[2], ports[3], ui)), 0o600); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "jaeger.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "--config", cfg)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = testproc.SysProcAttr()
	proc, err := testproc.Start(cmd)
	if err != nil {
		return nil, fmt.Errorf("jaegertest: start: %w", err)
	}
	s := &Server{
		otlpHTTP: "127.0.0.1:" + strconv.Itoa(ports[3]),
		query:    "http://127.0.0.1:" + strconv.Itoa(ports[1]),
		proc:     proc, log: logPath,
		client: &http.Client{Timeout: 5 * time.Second},
	}
	health := "http://127.0.0.1:" + strconv.Itoa(ports[0]) + "/status"
	err = testserver.WaitReady(proc, 60*time.Second, 100*time.Millisecond, "jaeger", "report healthy", func() error {
		if !testserver.Accepts(s.otlpHTTP) {
			return errors.New("OTLP receiver not accepting")
		}
		if _, err := s.get(health); err != nil {
			return err
		}
		_, err := s.get(s.query + "/api/services")
		return err
	})
	if err != nil {
		proc.Kill()
		return nil, testserver.WithLogTail(err, "jaeger", logPath, 30)
	}
	return s, nil
}

// Stop stops Jaeger.
func (s *Server) Stop() { s.proc.Terminate(5 * time.Second) }

// OTLPEndpoint is the OTLP/HTTP base URL (POST /v1/traces to it).
func (s *Server) OTLPEndpoint() string { return "http://" + s.otlpHTTP }

// UIURL is the base URL of the query API and web UI.
func (s *Server) UIURL() string { return s.query }

// LogPath is Jaeger's log file.
func (s *Server) LogPath() string { return s.log }

func (s *Server) get(u string) ([]byte, error) {
	resp, err := s.client.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", u, resp.Status, body)
	}
	return body, nil
}

// Trace is one trace as Jaeger's query API returns it.
type Trace struct {
	TraceID   string             `json:"traceID"`
	Spans     []Span             `json:"spans"`
	Processes map[string]Process `json:"processes"`
}

// Span is one span of a Trace.
type Span struct {
	TraceID       string      `json:"traceID"`
	SpanID        string      `json:"spanID"`
	OperationName string      `json:"operationName"`
	References    []Reference `json:"references"`
	StartTime     int64       `json:"startTime"` // microseconds
	Duration      int64       `json:"duration"`  // microseconds
	Tags          []KeyValue  `json:"tags"`
	Logs          []Log       `json:"logs"`
	ProcessID     string      `json:"processID"`
}

// Reference is a parent (CHILD_OF) or a link (FOLLOWS_FROM).
type Reference struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

// KeyValue is a tag.
type KeyValue struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// Log is a span event.
type Log struct {
	Timestamp int64      `json:"timestamp"`
	Fields    []KeyValue `json:"fields"`
}

// Process is the service that sent spans.
type Process struct {
	ServiceName string     `json:"serviceName"`
	Tags        []KeyValue `json:"tags"`
}

type tracesResponse struct {
	Data   []Trace `json:"data"`
	Errors []struct {
		Msg string `json:"msg"`
	} `json:"errors"`
}

// Trace fetches one trace by its hex id; a trace Jaeger does not know yet
// is an error.
func (s *Server) Trace(traceID string) (Trace, error) {
	body, err := s.get(s.query + "/api/traces/" + url.PathEscape(traceID))
	if err != nil {
		return Trace{}, err
	}
	var r tracesResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return Trace{}, err
	}
	if len(r.Data) != 1 {
		return Trace{}, fmt.Errorf("trace %s: %d traces in the answer", traceID, len(r.Data))
	}
	return r.Data[0], nil
}

// WaitTrace polls until Jaeger has trace traceID with at least spans spans
// (spans arrive in batches), or fails the test after timeout.
func (s *Server) WaitTrace(tb testing.TB, traceID string, spans int, timeout time.Duration) Trace {
	tb.Helper()
	var tr Trace
	err := testproc.Poll(timeout, 50*time.Millisecond, s.proc.Done(), func() error {
		var err error
		tr, err = s.Trace(traceID)
		if err == nil && len(tr.Spans) < spans {
			err = fmt.Errorf("%d spans so far, want %d", len(tr.Spans), spans)
		}
		return err
	})
	if err != nil {
		tb.Fatalf("jaegertest: trace %s: %v", traceID, err)
	}
	return tr
}

// Tag returns the value of tag key, and whether the span has it.
func (sp Span) Tag(key string) (any, bool) {
	for _, kv := range sp.Tags {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return nil, false
}

// Parent returns the span id of the CHILD_OF reference, or "".
func (sp Span) Parent() string {
	for _, r := range sp.References {
		if r.RefType == "CHILD_OF" {
			return r.SpanID
		}
	}
	return ""
}

// Children returns the spans of tr whose parent is span id.
func (tr Trace) Children(id string) []Span {
	var out []Span
	for _, sp := range tr.Spans {
		if sp.Parent() == id {
			out = append(out, sp)
		}
	}
	return out
}

// Find returns the spans named name.
func (tr Trace) Find(name string) []Span {
	var out []Span
	for _, sp := range tr.Spans {
		if sp.OperationName == name {
			out = append(out, sp)
		}
	}
	return out
}
