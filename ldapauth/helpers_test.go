package ldapauth

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
)

// recordingLogger is a slog.Handler that keeps every record as one line,
// "LEVEL message key=value ...", for tests that assert on logs (and that
// secrets never appear in them).
type recordingLogger struct {
	mu    *sync.Mutex
	lines *[]string
	attrs []slog.Attr
	debug bool
}

func newRecordingLogger(debug bool) *recordingLogger {
	return &recordingLogger{mu: &sync.Mutex{}, lines: new([]string), debug: debug}
}

func (l *recordingLogger) logger() *slog.Logger { return slog.New(l) }

func (l *recordingLogger) Enabled(_ context.Context, level slog.Level) bool {
	return l.debug || level > slog.LevelDebug
}

func (l *recordingLogger) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	for _, a := range l.attrs {
		fmt.Fprintf(&b, " %s=%q", a.Key, a.Value.String())
	}
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%q", a.Key, a.Value.String())
		return true
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	*l.lines = append(*l.lines, b.String())
	return nil
}

func (l *recordingLogger) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *l
	c.attrs = append(append([]slog.Attr(nil), l.attrs...), attrs...)
	return &c
}

func (l *recordingLogger) WithGroup(string) slog.Handler { return l }

func (l *recordingLogger) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(*l.lines, "\n")
}

func (l *recordingLogger) count(substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range *l.lines {
		if strings.Contains(line, substr) {
			n++
		}
	}
	return n
}
