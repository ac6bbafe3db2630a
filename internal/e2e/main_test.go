package e2e

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/TykTechnologies/tyk/log"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// gatewayLog captures everything written to the gateway logger (the plugin
// logs through it) for the whole test process, at debug level, so tests can
// assert on decision lines, and TestMain's final checks can prove that no
// test made the plugin log a sample-directory password or a panic.
var gatewayLog = &logSink{}

// logSink is an io.Writer that keeps every line. logrus serialises writes,
// but tests read concurrently with them, hence the mutex.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

// mark returns the current end of the log, for since.
func (s *logSink) mark() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Len()
}

// since returns what was logged after mark.
func (s *logSink) since(mark int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.buf.Bytes()[mark:])
}

// debugLevel is logrus.DebugLevel; the stand-in's SetLevel takes the
// logrus type, which an untyped constant converts to.
const debugLevel = 5

func TestMain(m *testing.M) {
	log.Get().SetOutput(gatewayLog)
	log.Get().SetLevel(debugLevel)
	code := m.Run()
	logged := gatewayLog.since(0)
	if leaks := passwordsIn(logged); len(leaks) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: the gateway log of this run contains passwords: %v\n", leaks)
		code = 1
	}
	// The plugin recovers its own panics into a 500 and logs them; the
	// host logs a panic that escaped. Neither may ever happen.
	if lines := logLines(strings.ToLower(logged), "panic"); len(lines) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: the gateway log of this run reports panics:\n%s\n", strings.Join(lines, "\n"))
		code = 1
	}
	os.Exit(code)
}

// addedPasswords are the passwords tests give the entries they add, and
// the common part of the wrong passwords the burst tests send.
var addedPasswords = []string{"mallory-pass-1", "erin-pass-1", "eve-pass-1", "bob-pass-2", "wrong-burst-"}

// passwordsIn returns every sample-directory password (and the service
// account's, and addedPasswords) that occurs in text. Every test sends these passwords, so this
// is a process-wide "never log a password" check on top of TestLogging.
func passwordsIn(text string) []string {
	var found []string
	secrets := append([]string{slapdtest.ServiceAccountPassword}, addedPasswords...)
	for _, u := range slapdtest.SampleUsers() {
		secrets = append(secrets, u.Password)
	}
	for _, s := range secrets {
		if strings.Contains(text, s) {
			found = append(found, s)
		}
	}
	return found
}
