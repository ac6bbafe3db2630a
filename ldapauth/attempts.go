package ldapauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/state"
)

// This file is the gate's brute-force bookkeeping: the limits it counts
// with, the guard every user bind passes, and the lock and unlock events
// it logs. The decision itself (gate.go) only hands a guard to the
// directory.

// unlimited is the attempt bound with max_failures 0: attempts are not
// limited, but a lock the directory reports is still honoured.
const unlimited = 1 << 30

func accountLimits(cfg *Config) state.Limits {
	if cfg.MaxFailures == 0 {
		return state.Limits{Max: unlimited, Window: cfg.FailureWindow}
	}
	return state.Limits{Max: cfg.MaxFailures, Window: cfg.FailureWindow}
}

func clientLimits(cfg *Config) state.Limits {
	return state.Limits{Max: cfg.MaxFailuresPerClient, Window: cfg.ClientFailureWindow}
}

// errClientLimited marks a refusal by the per-client bound.
var errClientLimited = errors.New("client limit")

// guardFor bounds the binds made for one request: one attempt reserved for
// the account and, with per-client limits, one for the client address,
// both settled with the bind's outcome (see state.Attempts). A success
// clears the account's failures but not the client's: a sprayer with one
// valid account must not reset its own count. A bind that was sent and
// got no answer counts as a failure: the directory may have judged it,
// and an attacker must not get free guesses by making binds time out.
func (g *Gate) guardFor(client clientAddress) directory.BindGuard {
	return func(ctx context.Context, account string) (directory.BindDone, error) {
		acct, err := g.accounts.Reserve(ctx, account)
		if err != nil {
			return nil, err
		}
		g.noteUnlock(account, client)
		var cli state.Reservation
		if g.clients != nil {
			if cli, err = g.clients.Reserve(ctx, client.key); err != nil {
				acct.Cancel(ctx)
				return nil, fmt.Errorf("%w: %w", errClientLimited, err)
			}
			g.noteUnlock(client.key, client)
		}
		return func(outcome directory.BindOutcome) {
			switch outcome {
			case directory.BindSucceeded:
				acct.Succeeded(ctx)
				if cli != nil {
					cli.Cancel(ctx)
				}
			case directory.BindRejected, directory.BindLocked, directory.BindUnanswered:
				if acct.Failed(ctx) {
					g.lockEvent(account, client, "max_failures reached", g.cfg.FailureWindow)
				}
				if outcome == directory.BindLocked {
					g.accounts.Lock(ctx, account, g.cfg.FailureWindow)
					g.lockEvent(account, client, "the directory reports the account locked", g.cfg.FailureWindow)
				}
				if cli != nil && cli.Failed(ctx) {
					g.lockEvent(client.key, client, "max_failures_per_client reached", g.cfg.ClientFailureWindow)
				}
			default:
				acct.Cancel(ctx)
				if cli != nil {
					cli.Cancel(ctx)
				}
			}
		}, nil
	}
}

// lockEvent logs a lock (a warning, and an audit line) and remembers it so
// its end can be logged.
func (g *Gate) lockEvent(key string, client clientAddress, reason string, d time.Duration) {
	if key == client.key {
		countLock("client")
	} else {
		countLock("account")
	}
	g.log.Warn("attempts are refused until the lock ends", "account", key, "reason", reason, "locked_for", d.String())
	if g.audit != nil {
		g.audit.Info("locked", "event", "locked", "account", key, "client_ip", client.ip, "reason", reason, "locked_for", d.String())
	}
	g.locks.locked(key, d)
}

// noteUnlock logs, once, that a lock this gate saw has ended: the first
// attempt allowed for that key after it.
func (g *Gate) noteUnlock(key string, client clientAddress) {
	if g.locks.ended(key) && g.audit != nil {
		g.audit.Info("unlocked", "event", "unlocked", "account", key, "client_ip", client.ip)
	}
}
