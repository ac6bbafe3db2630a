// Package addns holds end-to-end tests of directory servers found through
// DNS: the real tyk-ldap-auth plugin, built with -buildmode=plugin and
// loaded by the contract host (internal/tykhost), finds a real Samba AD DC
// (internal/adtest with Options.DNS) through the SRV records Samba's own
// DNS server publishes, and follows changes to those records without a
// reload. Records are changed with DNS updates against the DC; TCP proxies
// in front of the DC give one DC several addresses, so a test can tell
// which record a bind used; a UDP relay in front of the DNS server stops
// answering to play a DNS outage.
//
// It runs a DC of its own (with DNS), so it is a test binary of its own:
// the machine runs one DC at a time.
//
// Run (the test binary and the plugin must share -race, -trimpath and tags):
//
//	GOWORK=$PWD/testdata/tykstandin/go.work go test -race -trimpath -tags=goplugin ./internal/e2e/addns/
package addns
