package directory

import (
	"errors"
	"fmt"
)

// Kind classifies why an authentication did not succeed. Callers map each
// kind to one answer; the directory's own error text is for logs only.
type Kind int

const (
	// KindInvalidCredentials: the directory rejected the username or
	// password, the user does not exist, the search matched zero or several
	// entries, or the account may not log in (disabled, expired, locked).
	KindInvalidCredentials Kind = iota + 1
	// KindUnavailable: no configured server answered in time (down,
	// refusing, frozen, TLS failure).
	KindUnavailable
	// KindBusy: every pooled connection stayed in use for as long as the
	// request could wait, or the request ran out of its time because it
	// queued for one (see budget.go). The gateway is saturated; the
	// directory itself may be fine, and gets no verdict.
	KindBusy
	// KindMisconfigured: the directory answered in a way only a wrong
	// configuration (or unusable directory data) explains.
	KindMisconfigured
	// KindRefused: the caller's BindGuard refused the attempt; the password
	// was not sent. Unwrap gives the guard's error.
	KindRefused
)

func (k Kind) String() string {
	switch k {
	case KindInvalidCredentials:
		return "invalid credentials"
	case KindUnavailable:
		return "directory unavailable"
	case KindBusy:
		return "directory connections busy"
	case KindMisconfigured:
		return "misconfiguration"
	case KindRefused:
		return "attempt refused"
	}
	return "unknown"
}

// Error is the failure of an authentication. Reason is meant for the log:
// it never contains a password, but it may name a DN, a username, a filter
// or a server.
type Error struct {
	Kind   Kind
	Reason string
	Err    error // underlying error, logged, never shown to clients
	// Server is the URL of the directory server that gave this answer,
	// when one did.
	Server string
	// User is the canonical username when the entry was identified before
	// the failure (search-then-bind with a wrong password).
	User string
	// AccountState is what the directory said about the account when it
	// refused it for a reason other than the password (Active Directory's
	// diagnostic data code, OpenLDAP's password policy control), e.g.
	// "account disabled".
	AccountState string
	// Locked is true when the directory itself reports the account locked.
	Locked bool
}

func (e *Error) Error() string {
	msg := e.Kind.String() + ": " + e.Reason
	if e.AccountState != "" {
		msg += " (" + e.AccountState + ")"
	}
	if e.Err != nil {
		msg = fmt.Sprintf("%s: %v", msg, e.Err)
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf reports the Kind of err, or 0 when err is nil or not an *Error.
func KindOf(err error) Kind {
	var de *Error
	if errors.As(err, &de) {
		return de.Kind
	}
	return 0
}

// AsError returns err as an *Error, if it is one.
func AsError(err error) (*Error, bool) {
	var de *Error
	ok := errors.As(err, &de)
	return de, ok
}

func invalidCredentials(reason string, err error) *Error {
	return &Error{Kind: KindInvalidCredentials, Reason: reason, Err: err}
}

func unavailable(reason string, err error) *Error {
	return &Error{Kind: KindUnavailable, Reason: reason, Err: err}
}

func misconfigured(reason string, err error) *Error {
	return &Error{Kind: KindMisconfigured, Reason: reason, Err: err}
}
