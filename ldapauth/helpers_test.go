package ldapauth

import (
	"fmt"
	"strings"
	"sync"
)

// recordingLogger keeps every line, for tests that assert on logs (and that
// secrets never appear in them).
type recordingLogger struct {
	mu    sync.Mutex
	lines []string
	debug bool
}

func (l *recordingLogger) add(level, format string, args ...interface{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, level+" "+fmt.Sprintf(format, args...))
}

func (l *recordingLogger) Debugf(f string, a ...interface{}) { l.add("DEBUG", f, a...) }
func (l *recordingLogger) Infof(f string, a ...interface{})  { l.add("INFO", f, a...) }
func (l *recordingLogger) Warnf(f string, a ...interface{})  { l.add("WARN", f, a...) }
func (l *recordingLogger) Errorf(f string, a ...interface{}) { l.add("ERROR", f, a...) }
func (l *recordingLogger) DebugEnabled() bool                { return l.debug }

func (l *recordingLogger) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func (l *recordingLogger) count(substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.lines {
		if strings.Contains(line, substr) {
			n++
		}
	}
	return n
}
