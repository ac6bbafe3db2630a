// STAND-IN for tests only: this is NOT Tyk's module. It mirrors the few
// packages of github.com/TykTechnologies/tyk that tyk-ldap-auth and its
// contract host use, so they can be compiled and tested where the real
// gateway source cannot be downloaded. See README.md.
module github.com/TykTechnologies/tyk

go 1.23

require (
	github.com/huandu/go-clone/generic v1.7.2
	github.com/sirupsen/logrus v1.9.3
)

require (
	github.com/huandu/go-clone v1.6.0 // indirect
	golang.org/x/sys v0.0.0-20220715151400-c0bba94af5f8 // indirect
)
