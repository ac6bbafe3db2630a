// Package e2e holds end-to-end tests of the real tyk-ldap-auth plugin: the
// plugin is built with -buildmode=plugin, loaded through Go's plugin runtime
// by the contract host (internal/tykhost) and authenticates against a real
// slapd (internal/slapdtest). Nothing here is mocked between the HTTP client
// and the directory.
//
// Run (the test binary and the plugin must share -race, -trimpath and tags):
//
//	GOWORK=$PWD/testdata/tykstandin/go.work go test -race -trimpath -tags=goplugin ./internal/e2e/
package e2e
