// STAND-IN for tests only, not Tyk code. Mirrors
// github.com/TykTechnologies/tyk/log (log/log.go) as of v5.8.x and v5.14.0:
// Get returns the gateway's shared *logrus.Logger. (A Logger interface was
// proposed upstream in PR #4804 but never released.)
package log

import (
	"os"
	"strings"

	"github.com/sirupsen/logrus"
)

var (
	log    = logrus.New()
	rawLog = logrus.New()
)

// RawFormatter prints only the entry message, as the real one does.
type RawFormatter struct{}

// Format renders a single log entry.
func (f *RawFormatter) Format(entry *logrus.Entry) ([]byte, error) {
	return []byte(entry.Message), nil
}

//nolint:gochecknoinits // mirrors the real package, which sets the level at init
func init() {
	log.Formatter = &logrus.TextFormatter{
		TimestampFormat: "Jan 02 15:04:05",
		FullTimestamp:   true,
		DisableColors:   true,
	}
	switch strings.ToLower(os.Getenv("TYK_LOGLEVEL")) {
	case "error":
		log.Level = logrus.ErrorLevel
	case "warn":
		log.Level = logrus.WarnLevel
	case "debug":
		log.Level = logrus.DebugLevel
	default:
		log.Level = logrus.InfoLevel
	}
	rawLog.Formatter = new(RawFormatter)
}

// Get returns the default configured logger.
func Get() *logrus.Logger {
	return log
}

// GetRaw is used internally by the gateway; plugins should not rely on it.
func GetRaw() *logrus.Logger {
	return rawLog
}
