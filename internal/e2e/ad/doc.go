// Package ad holds end-to-end tests of the real tyk-ldap-auth plugin
// against Active Directory: the plugin is built with -buildmode=plugin,
// loaded by the contract host (internal/tykhost) and authenticates against
// a real Samba AD DC (internal/adtest) with the sample domain
// CORP.EXAMPLE.ORG. Each test backs one recipe of docs/active-directory.md.
//
// Only one DC runs per machine, so the package shares one DC between its
// tests (adtest.Shared, stopped in TestMain) and is kept short: other test
// binaries that need a DC wait for it.
//
// Run (the test binary and the plugin must share -race, -trimpath and tags):
//
//	GOWORK=$PWD/testdata/tykstandin/go.work go test -race -trimpath -tags=goplugin ./internal/e2e/ad/
package ad
