package directory

import (
	"context"
	"errors"

	ldap "github.com/go-ldap/ldap/v3"
)

// BindGuard is consulted right before each user bind, with the key of the
// account about to be bound (see Account keys in the package docs of
// Authenticate). Returning an error stops the bind: the password is not
// sent, and Authenticate fails with KindRefused wrapping that error.
// Otherwise the returned BindDone must be, and is, called exactly once with
// the bind's outcome, on every path (a panic included).
type BindGuard func(ctx context.Context, account string) (BindDone, error)

// BindDone receives the outcome of a bind its BindGuard allowed.
type BindDone func(BindOutcome)

// BindOutcome is what became of one user bind.
type BindOutcome int

const (
	// BindSucceeded: the password was right.
	BindSucceeded BindOutcome = iota + 1
	// BindRejected: the directory refused the credentials.
	BindRejected
	// BindLocked: the directory refused them and reports the account
	// locked (Active Directory data 775, the password policy's
	// accountLocked).
	BindLocked
	// BindNoAnswer: the bind was never sent, or its connection was lost
	// (the server went away).
	BindNoAnswer
	// BindUnanswered: the bind was sent and its answer did not come
	// within the request timeout. The directory may well have judged the
	// password, so it counts as a wrong one.
	BindUnanswered
)

func (o BindOutcome) String() string {
	switch o {
	case BindSucceeded:
		return "succeeded"
	case BindRejected:
		return "rejected"
	case BindLocked:
		return "locked"
	case BindUnanswered:
		return "unanswered"
	}
	return "no answer"
}

// account is who a bind is about to authenticate.
type account struct {
	key      string // the guard's key: "dn:<normalised DN>" or "name:<folded bind name>"
	bindName string
	user     string // the canonical username when the entry is known already
}

func bindOutcome(err error) BindOutcome {
	if err == nil {
		return BindSucceeded
	}
	if de, ok := AsError(err); ok && de.Kind == KindInvalidCredentials {
		if de.Locked {
			return BindLocked
		}
		return BindRejected
	}
	if isBindTimeout(err) {
		return BindUnanswered
	}
	return BindNoAnswer
}

// isBindTimeout reports go-ldap's "no answer within the request timeout"
// for a request it had sent (a request that could not be sent fails with
// another error).
func isBindTimeout(err error) bool {
	var le *ldap.Error
	return errors.As(err, &le) && le.ResultCode == ldap.ErrorNetwork && le.Err != nil && le.Err.Error() == "ldap: connection timed out"
}

// unknownUser answers a search-then-bind username that matches no entry
// the way a wrong password for a real account is answered: its attempt
// passes the guard under "name:" plus the folded username, is counted as
// rejected, and is refused once that name is locked, so lockout does not
// tell which usernames exist. With EqualizeTiming it also costs the bind
// a real account would.
func (d *Directory) unknownUser(ctx context.Context, ep *endpoint, username, password string, guard BindGuard, notFound error) error {
	if guard != nil {
		done, err := guard(ctx, "name:"+FoldValue(username))
		if err != nil {
			return &Error{Kind: KindRefused, Reason: "the attempt for " + username + " was refused before the bind", Err: err}
		}
		defer done(BindRejected)
	}
	if d.opts.EqualizeTiming {
		d.bindNobody(ctx, ep.user, password)
	}
	return notFound
}
