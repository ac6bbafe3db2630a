// STAND-IN for tests only, not Tyk code. Mirrors
// github.com/TykTechnologies/tyk/log (log/log.go): Get and GetRaw return the
// gateway's shared *logrus.Logger at tags v5.3.13, v5.8.0, v5.8.12, v5.8.15
// and v5.14.0. The level is read from TYK_LOGLEVEL here; the real packages
// read more variables and formatter settings, which a plugin does not see.
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
