//go:build tools

// Package tool pins the Jaeger all-in-one binary that internal/jaegertest
// builds: go build github.com/jaegertracing/jaeger/cmd/jaeger inside this module.
package tool

import _ "github.com/jaegertracing/jaeger/cmd/jaeger"
