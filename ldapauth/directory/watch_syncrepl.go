package directory

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	ldap "github.com/go-ldap/ldap/v3"
)

// errSyncreplRefused: the server advertises content synchronisation but
// would not run it for this search (no syncprov on the database, or not
// for the service account); the watch falls back to polling.
var errSyncreplRefused = errors.New("content synchronisation refused")

// e-syncRefreshRequired (RFC 4533): the cookie is no longer usable.
const resultSyncRefreshRequired = 4096

// syncItem is one message of one base's persistent search.
type syncItem struct {
	base     int
	entry    *ldap.Entry
	controls []ldap.Control
	err      error // set on the last item of a search
}

// syncrepl follows every base with an RFC 4533 refresh-and-persist search
// on conn until one of them ends. The refresh phase (the current content,
// or the changes since the last cookie) is not needed: once every base is
// past it the sinks resync, and from then on each change the server
// pushes is delivered as it arrives.
func (s *watchSource) syncrepl(ctx context.Context, conn *ldap.Conn, srv Server) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		conn.Close()
		wg.Wait()
	}()
	items := make(chan syncItem, 64)
	if s.cookies == nil {
		s.cookies = make([][]byte, len(s.bases))
	}
	for i, base := range s.bases {
		req := ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
			"(objectClass=*)", append([]string{attrEntryUUID}, memberAttributes...), nil)
		resp := conn.Syncrepl(ctx, req, 64, ldap.SyncRequestModeRefreshAndPersist, s.cookies[i], false)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					s.w.log.Error("directory watch reader panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
					select {
					case items <- syncItem{base: i, err: fmt.Errorf("reader panicked: %v", r)}:
					case <-ctx.Done():
					}
				}
			}()
			for resp.Next() {
				// After cancel, keep draining so go-ldap's reader can end.
				if ctx.Err() != nil {
					continue
				}
				select {
				case items <- syncItem{base: i, entry: resp.Entry(), controls: resp.Controls()}:
				case <-ctx.Done():
				}
			}
			err := resp.Err()
			if err == nil {
				err = errors.New("the server ended the persistent search")
			}
			select {
			case items <- syncItem{base: i, err: err}:
			case <-ctx.Done():
			}
		}()
	}

	refreshed := make([]bool, len(s.bases))
	live := false
	idleCheck := time.NewTicker(s.pollEvery)
	defer idleCheck.Stop()
	busy := time.Now()
	for {
		var it syncItem
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-idleCheck.C:
			if s.w.idle(len(s.w.tracked()), &busy) {
				return errIdle
			}
			continue
		case it = <-items:
		}
		if it.err != nil {
			var le *ldap.Error
			if errors.As(it.err, &le) {
				switch {
				case le.ResultCode == resultSyncRefreshRequired:
					s.cookies[it.base] = nil
				case !live && !isTransport(it.err):
					s.cookies = nil
					return fmt.Errorf("%w: %w", errSyncreplRefused, it.err)
				}
			}
			return classifyOp("the persistent search of "+s.bases[it.base], it.err)
		}
		var changes []Change
		for _, c := range it.controls {
			switch c := c.(type) {
			case *ldap.ControlSyncState:
				if len(c.Cookie) > 0 {
					s.cookies[it.base] = c.Cookie
				}
				if !refreshed[it.base] || c.State == ldap.SyncStatePresent || it.entry == nil {
					continue
				}
				ch := changeOf(it.entry)
				ch.ID = keyEntryUUID + c.EntryUUID.String()
				changes = append(changes, ch)
			case *ldap.ControlSyncInfo:
				switch {
				case c.NewCookie != nil:
					s.cookies[it.base] = c.NewCookie.Cookie
				case c.RefreshDelete != nil:
					s.noteRefresh(it.base, c.RefreshDelete.Cookie, c.RefreshDelete.RefreshDone, refreshed)
				case c.RefreshPresent != nil:
					s.noteRefresh(it.base, c.RefreshPresent.Cookie, c.RefreshPresent.RefreshDone, refreshed)
				case c.SyncIdSet != nil:
					if len(c.SyncIdSet.Cookie) > 0 {
						s.cookies[it.base] = c.SyncIdSet.Cookie
					}
					if refreshed[it.base] && c.SyncIdSet.RefreshDeletes {
						for _, u := range c.SyncIdSet.SyncUUIDs {
							changes = append(changes, Change{ID: keyEntryUUID + u.String()})
						}
					}
				}
			case *ldap.ControlSyncDone:
				if len(c.Cookie) > 0 {
					s.cookies[it.base] = c.Cookie
				}
			}
		}
		if live {
			s.w.changed(changes)
		} else if !slices.Contains(refreshed, false) {
			live = true
			s.w.becameLive(MechanismSyncrepl, srv)
		}
	}
}

// keyEntryUUID prefixes an entryUUID in Identity.ID form.
const keyEntryUUID = "entryUUID:"

func (s *watchSource) noteRefresh(base int, cookie []byte, done bool, refreshed []bool) {
	if len(cookie) > 0 {
		s.cookies[base] = cookie
	}
	if done {
		refreshed[base] = true
	}
}
