package directory

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"time"
)

// Trace receives every step of an authentication as it happens, for tools
// that explain a decision (the way net/http/httptrace explains a request).
// Attach it with WithTrace; without one, tracing costs a context lookup per
// step.
type Trace struct {
	Step func(Step)
}

// Step is one thing the Directory did.
type Step struct {
	Name   StepName
	Server string // the server URL, when the step talked to one
	// Detail is what the step worked on: the address dialled, the DN bound
	// as, the search base and filter, the group looked up.
	Detail string
	// Entries are the DNs a search returned.
	Entries []string
	// TLS is the handshake's outcome for StepTLS and StepStartTLS.
	TLS  *TLSInfo
	Err  error
	Took time.Duration
}

// StepName names a step.
type StepName string

// The steps, in the order an authentication takes them.
const (
	StepConnect     StepName = "connect"
	StepTLS         StepName = "tls"
	StepStartTLS    StepName = "starttls"
	StepServiceBind StepName = "service bind"
	StepSearch      StepName = "search"
	StepUserBind    StepName = "user bind"
	StepReadEntry   StepName = "read entry"
	StepGroups      StepName = "groups"
)

// TLSInfo describes a TLS handshake: what the server presented and what
// the client expected.
type TLSInfo struct {
	// ExpectedName is the name the certificate had to carry.
	ExpectedName string
	// Chain is the certificate chain the server sent, leaf first. It is
	// also set when verification refused the chain, so a tool can show what
	// the server presented.
	Chain []*x509.Certificate
	// Version is the negotiated TLS version (0 when the handshake failed).
	Version uint16
}

type traceKey struct{}

// WithTrace returns a context whose authentications report to t.
func WithTrace(ctx context.Context, t *Trace) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

func traceFrom(ctx context.Context) *Trace {
	t, _ := ctx.Value(traceKey{}).(*Trace)
	return t
}

func (t *Trace) step(s Step) {
	if t != nil && t.Step != nil {
		t.Step(s)
	}
}

func (t *Trace) tls(name StepName, server, expected string, c *tls.Conn, err error, took time.Duration) {
	if t == nil || t.Step == nil {
		return
	}
	t.tlsState(name, server, expected, c.ConnectionState(), err, took)
}

func (t *Trace) tlsState(name StepName, server, expected string, st tls.ConnectionState, err error, took time.Duration) {
	if t == nil || t.Step == nil {
		return
	}
	chain := st.PeerCertificates
	// crypto/tls records the peer's certificates only once they verify; a
	// refused chain travels in the error instead.
	var refused *tls.CertificateVerificationError
	if len(chain) == 0 && errors.As(err, &refused) {
		chain = refused.UnverifiedCertificates
	}
	t.Step(Step{Name: name, Server: server, Err: err, Took: took,
		TLS: &TLSInfo{ExpectedName: expected, Chain: chain, Version: st.Version}})
}
