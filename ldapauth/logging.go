package ldapauth

// Logger is where the package reports what it did. The plugin adapts Tyk's
// logger to it; tests capture it. Messages never contain a password, a bind
// password or an Authorization header: callers pass usernames, DNs, server
// URLs and error texts only.
type Logger interface {
	Debugf(format string, args ...interface{})
	Infof(format string, args ...interface{})
	Warnf(format string, args ...interface{})
	Errorf(format string, args ...interface{})
	// DebugEnabled lets hot paths skip building debug lines nobody reads.
	DebugEnabled() bool
}

// NopLogger discards everything.
type NopLogger struct{}

func (NopLogger) Debugf(string, ...interface{}) {}
func (NopLogger) Infof(string, ...interface{})  {}
func (NopLogger) Warnf(string, ...interface{})  {}
func (NopLogger) Errorf(string, ...interface{}) {}
func (NopLogger) DebugEnabled() bool            { return false }
