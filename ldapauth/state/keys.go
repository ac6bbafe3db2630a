package state

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Scoped is an Attempts that keys every account by HMAC-SHA256(secret,
// scope, key): keys stored outside the process (Redis) reveal neither the
// account nor the directory, cannot be guessed without the secret, and
// two directories never share a key.
type Scoped struct {
	inner  Attempts
	secret []byte
	scope  string
}

// NewScoped wraps inner.
func NewScoped(inner Attempts, secret []byte, scope string) *Scoped {
	return &Scoped{inner: inner, secret: secret, scope: scope}
}

func (s *Scoped) key(k string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(s.scope))
	m.Write([]byte{0})
	m.Write([]byte(k))
	return hex.EncodeToString(m.Sum(nil))
}

// Reserve implements Attempts.
func (s *Scoped) Reserve(ctx context.Context, key string) (Reservation, error) {
	return s.inner.Reserve(ctx, s.key(key))
}

// LockedFor implements Attempts.
func (s *Scoped) LockedFor(ctx context.Context, key string) time.Duration {
	return s.inner.LockedFor(ctx, s.key(key))
}

// Lock implements Attempts.
func (s *Scoped) Lock(ctx context.Context, key string, d time.Duration) {
	s.inner.Lock(ctx, s.key(key), d)
}
