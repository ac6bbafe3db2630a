package check

import (
	"context"
	"log/slog"
	"slices"
	"sync"
)

// logCapture records what the plugin logs during a check, at every level:
// the gate's debug "decision" line carries the reason for its answer, and
// warnings (a server failing over) belong in the report.
type logCapture struct {
	mu    sync.Mutex
	lines []LogLine
}

func (c *logCapture) logger() *slog.Logger { return slog.New(&captureHandler{capture: c}) }

// decisionReason returns the reason the gate logged with its decision.
func (c *logCapture) decisionReason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.lines) - 1; i >= 0; i-- {
		if c.lines[i].Message == "decision" {
			return c.lines[i].Attrs["reason"]
		}
	}
	return ""
}

// snapshot returns the lines other than the decision line, which the
// verdict already reports.
func (c *logCapture) snapshot() []LogLine {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []LogLine{}
	for _, l := range c.lines {
		if l.Message != "decision" {
			out = append(out, l)
		}
	}
	return out
}

type captureHandler struct {
	capture *logCapture
	attrs   []slog.Attr
	group   string
}

func (h *captureHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *captureHandler) Handle(_ context.Context, r slog.Record) error {
	line := LogLine{Level: r.Level.String(), Message: r.Message, Attrs: map[string]string{}}
	for _, a := range h.attrs {
		line.Attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		key := a.Key
		if h.group != "" {
			key = h.group + "." + key
		}
		line.Attrs[key] = a.Value.String()
		return true
	})
	h.capture.mu.Lock()
	h.capture.lines = append(h.capture.lines, line)
	h.capture.mu.Unlock()
	return nil
}

func (h *captureHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	next := *h
	next.attrs = slices.Clone(h.attrs)
	for _, a := range attrs {
		if h.group != "" {
			a.Key = h.group + "." + a.Key
		}
		next.attrs = append(next.attrs, a)
	}
	return &next
}

func (h *captureHandler) WithGroup(name string) slog.Handler {
	next := *h
	if next.group != "" {
		name = next.group + "." + name
	}
	next.group = name
	return &next
}
