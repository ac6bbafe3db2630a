package e2etest

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/TykTechnologies/tyk/log"
)

// GatewayLog captures everything written to the gateway logger (the
// plugin logs through it) once CaptureGatewayLog has run, so tests can
// assert on the lines a request produced and a TestMain can prove, with
// LogProblems, that no test made the plugin log a password or a panic.
var GatewayLog = &LogSink{}

// LogSink is an io.Writer that keeps every line. logrus serialises writes,
// but tests read concurrently with them, hence the mutex.
type LogSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *LogSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

// Mark returns the current end of the log, for Since.
func (s *LogSink) Mark() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Len()
}

// Since returns what was logged after mark.
func (s *LogSink) Since(mark int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.buf.Bytes()[mark:])
}

// WaitFor waits up to timeout for a line logged after mark that contains
// every one of parts, failing the test with what was logged otherwise.
func (s *LogSink) WaitFor(t testing.TB, mark int, timeout time.Duration, parts ...string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for len(LogLines(s.Since(mark), parts...)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q:\n%s", parts, s.Since(mark))
		}
		time.Sleep(20 * time.Millisecond) // polling the log
	}
}

// debugLevel is logrus.DebugLevel; the stand-in's SetLevel takes the
// logrus type, which an untyped constant converts to.
const debugLevel = 5

// CaptureGatewayLog sends the gateway log to GatewayLog at debug level, the
// most the plugin ever logs. Call it from TestMain, before m.Run.
func CaptureGatewayLog() {
	log.Get().SetOutput(GatewayLog)
	log.Get().SetLevel(debugLevel)
}

// LogProblems scans everything GatewayLog captured for secrets (every
// password the tests sent) and for panics, and describes each finding.
// The plugin recovers its own panics into a 500 and logs them; the host
// logs a panic that escaped. Neither may ever happen, and no password may
// ever be logged.
func LogProblems(secrets []string) []string {
	logged := GatewayLog.Since(0)
	var problems []string
	var leaked []string
	for _, s := range secrets {
		if s != "" && strings.Contains(logged, s) {
			leaked = append(leaked, s)
		}
	}
	if len(leaked) > 0 {
		problems = append(problems, "the gateway log of this run contains passwords: "+strings.Join(leaked, ", "))
	}
	if lines := LogLines(strings.ToLower(logged), "panic"); len(lines) > 0 {
		problems = append(problems, "the gateway log of this run reports panics:\n"+strings.Join(lines, "\n"))
	}
	return problems
}

// RunLogChecked is the body of a TestMain: it captures the gateway log
// (CaptureGatewayLog), runs the tests and returns their exit code, turned
// into 1 when LogProblems finds one of secrets or a panic in the log; each
// problem is printed.
func RunLogChecked(m *testing.M, secrets []string) int {
	CaptureGatewayLog()
	code := m.Run()
	for _, problem := range LogProblems(secrets) {
		fmt.Fprintln(os.Stderr, "FAIL: "+problem)
		code = 1
	}
	return code
}
