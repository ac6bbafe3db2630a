package main

import (
	"fmt"
	"sync"

	"github.com/TykTechnologies/tyk/log"
)

// tykLogger is the gateway's own logger with this plugin's prefix, so lines
// land where the gateway's do, at the gateway's level. Getting it does no
// I/O. Its type is whatever Tyk's log.Get returns (a logrus logger in every
// supported release); the plugin deliberately does not import logrus itself,
// so it never pins a logrus version of its own against the gateway's.
var tykLogger = log.Get().WithField("prefix", "ldapauth")

// debugLevel is logrus' DebugLevel, passed as an untyped constant for the
// reason above.
const debugLevel = 5

// gatewayLogger adapts tykLogger to ldapauth.Logger.
type gatewayLogger struct{}

func (gatewayLogger) Debugf(format string, args ...interface{}) { tykLogger.Debugf(format, args...) }
func (gatewayLogger) Infof(format string, args ...interface{})  { tykLogger.Infof(format, args...) }
func (gatewayLogger) Warnf(format string, args ...interface{})  { tykLogger.Warnf(format, args...) }
func (gatewayLogger) Errorf(format string, args ...interface{}) { tykLogger.Errorf(format, args...) }

// DebugEnabled asks the gateway's logger each time, so a level change made
// by the gateway applies at once.
func (gatewayLogger) DebugEnabled() bool { return tykLogger.Logger.IsLevelEnabled(debugLevel) }

var missingDefinitionOnce sync.Once

// logMissingDefinition reports, once, a request that reached the plugin
// without an API definition in its context: the plugin is hooked somewhere
// other than an API's auth_check, or by a host that does not follow Tyk.
func logMissingDefinition() {
	missingDefinitionOnce.Do(func() {
		tykLogger.Error("no API definition in the request context; LDAPAuth must be used as an API's custom_middleware.auth_check")
	})
}

func logPanic(v interface{}) {
	tykLogger.Errorf("recovered from a panic while authenticating a request: %s", fmt.Sprint(v))
}
