package ldapauth

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies why an authentication did not succeed. Callers map each
// kind to one HTTP answer; the LDAP server's own error text never reaches a
// client, it only goes to the gateway log.
type Kind int

const (
	// KindInvalidCredentials: the directory rejected the username or password,
	// the user does not exist, or the search matched zero or several entries.
	KindInvalidCredentials Kind = iota + 1
	// KindUnavailable: no configured server could answer in time (down,
	// refusing, frozen, TLS failure, busy). Never cached.
	KindUnavailable
	// KindMisconfigured: the directory answered, but in a way only a wrong
	// configuration explains (service account rejected, search base missing).
	KindMisconfigured
	// KindThrottled: the user is locked out by max_failures; the directory
	// was not asked to check the password.
	KindThrottled
)

func (k Kind) String() string {
	switch k {
	case KindInvalidCredentials:
		return "invalid credentials"
	case KindUnavailable:
		return "directory unavailable"
	case KindMisconfigured:
		return "misconfiguration"
	case KindThrottled:
		return "too many failures"
	}
	return "unknown"
}

// AuthError is the typed failure of Authenticate. Reason is meant for the
// log: it never contains a password, but it may contain a DN or a username.
type AuthError struct {
	Kind   Kind
	Reason string
	Err    error // underlying error, if any; logged, never shown to clients
	// User is the canonical username when the directory identified the
	// entry before failing (search-then-bind with a wrong password).
	User string

	retryAfter time.Duration // KindThrottled only
}

func (e *AuthError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Kind, e.Reason, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Kind, e.Reason)
}

func (e *AuthError) Unwrap() error { return e.Err }

// KindOf reports the Kind of err, or 0 when err is not an *AuthError.
func KindOf(err error) Kind {
	var ae *AuthError
	if errors.As(err, &ae) {
		return ae.Kind
	}
	return 0
}

// authErrorUser returns the canonical username carried by err, if any.
func authErrorUser(err error) string {
	var ae *AuthError
	if errors.As(err, &ae) {
		return ae.User
	}
	return ""
}

// throttledFor returns how long a KindThrottled error's lock lasts.
func throttledFor(err error) time.Duration {
	var ae *AuthError
	if errors.As(err, &ae) {
		return ae.retryAfter
	}
	return 0
}

func invalidCredentials(reason string, err error) error {
	return &AuthError{Kind: KindInvalidCredentials, Reason: reason, Err: err}
}

func unavailable(reason string, err error) error {
	return &AuthError{Kind: KindUnavailable, Reason: reason, Err: err}
}

func misconfigured(reason string, err error) error {
	return &AuthError{Kind: KindMisconfigured, Reason: reason, Err: err}
}
