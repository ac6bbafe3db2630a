package e2e

import (
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/e2e/e2etest"
)

// upstreamMarker is set on every upstream response (e2etest.UpstreamMarker).
const upstreamMarker = e2etest.UpstreamMarker

// seenRequest is what reached the upstream.
type seenRequest = e2etest.Seen

// upstream is the APIs' target: it echoes the path and headers it got.
type upstream struct{ *e2etest.Upstream }

func newUpstream(t *testing.T) *upstream { return &upstream{e2etest.NewUpstream(t)} }

func (u *upstream) count() int { return u.Count() }
