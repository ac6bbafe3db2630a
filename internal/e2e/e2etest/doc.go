// Package e2etest is the harness of the end-to-end tests: the real plugin,
// built with -buildmode=plugin, loaded by the contract host
// (internal/tykhost) and served over HTTP in front of an upstream that
// echoes what reached it, plus the requests, API definitions, answer checks
// and gateway-log capture those tests share. It knows nothing about the
// directory behind the plugin: internal/e2e uses it with slapd,
// internal/e2e/ad with a Samba AD DC.
//
// It imports the Tyk packages, so it builds only in the stand-in workspace
// (GOWORK=$PWD/testdata/tykstandin/go.work), like every test that loads the
// plugin.
package e2etest
