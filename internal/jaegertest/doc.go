// Package jaegertest runs a real Jaeger (all-in-one, v1.75.0) on loopback
// for tests: it receives OTLP over HTTP, keeps traces in memory, and serves
// its query API and web UI. Tests send spans to OTLPEndpoint and read them
// back with Trace or FindTraces.
//
// Jaeger is built from its own module (tool/go.mod, GOWORK=off), so none of
// its dependencies enter the plugin's module graph. The binary is built once
// per machine and Jaeger version into the user cache directory (under a file
// lock, so parallel test processes wait for one build); JAEGER_BIN names a
// ready binary instead.
package jaegertest
