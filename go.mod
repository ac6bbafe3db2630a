module github.com/tyk-ldap-auth/tyk-ldap-auth

// The go line and every requirement must stay at or below what the oldest
// supported gateway ships (see docs/tyk-versions.md): in the plugin
// compiler's workspace Go silently picks the higher of two versions, and a
// plugin linked against a newer shared package than the gateway's cannot be
// loaded; a go line above the gateway's may need a newer Go than its
// compiler image has. ./build.sh depcheck checks both against every
// supported release. github.com/TykTechnologies/tyk is never required here:
// the gateway source comes from the build workspace. golang.org/x/mod is
// for that check only (no plugin code imports it), at the version already
// in this module's graph. The OpenTelemetry modules stay at v1.32.0, the
// lowest any supported gateway pins (5.3.10-5.3.13, 5.8.0); sdk and
// sdk/metric are for tests and the contract host only (no plugin code
// imports them).
go 1.23

require (
	github.com/go-asn1-ber/asn1-ber v1.5.7
	github.com/go-ldap/ldap/v3 v3.4.10
	github.com/patrickmn/go-cache v2.1.0+incompatible
	github.com/redis/go-redis/v9 v9.7.0
	go.opentelemetry.io/otel v1.32.0
	go.opentelemetry.io/otel/metric v1.32.0
	go.opentelemetry.io/otel/sdk v1.32.0
	go.opentelemetry.io/otel/sdk/metric v1.32.0
	go.opentelemetry.io/otel/trace v1.32.0
	golang.org/x/mod v0.17.0
	golang.org/x/text v0.21.0
)

require (
	github.com/Azure/go-ntlmssp v0.0.0-20221128193559-754e69321358 // indirect
	github.com/cespare/xxhash/v2 v2.2.0 // indirect
	github.com/dgryski/go-rendezvous v0.0.0-20200823014737-9f7001d12a5f // indirect
	github.com/go-logr/logr v1.4.2 // indirect
	github.com/go-logr/stdr v1.2.2 // indirect
	github.com/google/uuid v1.6.0 // indirect
	golang.org/x/crypto v0.31.0 // indirect
	golang.org/x/sys v0.28.0
)
