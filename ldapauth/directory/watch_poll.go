package directory

import (
	"context"
	"strconv"
	"strings"
	"time"

	ldap "github.com/go-ldap/ldap/v3"
)

// Polling: every interval, one search per base for the entries changed
// since the last look, and one search per base for the tracked entries,
// to notice those deleted or renamed (they leave no changed entry behind
// under the base).
//
// On Active Directory the change counter is uSNChanged, a number the
// server increments for every change it commits, so "changed since" is
// exact. Elsewhere it is modifyTimestamp, which has one-second resolution:
// each look repeats the last second and remembers which versions of the
// entries of that second it has seen (by entryCSN where the server keeps
// one, which OpenLDAP does), so nothing is missed and nothing is evicted
// twice for one change.

// pollLookback is how far back, by the gateway's clock, the first look of
// a modifyTimestamp poll reaches. The server's clock decides from then on;
// it only has to be within this of the gateway's at the start.
const pollLookback = 24 * time.Hour

// existenceBatch bounds the DNs checked in one search.
const existenceBatch = 100

type pollState struct {
	mech Mechanism
	// dnAttr is the attribute a filter can match an entry's DN with
	// (entryDN, distinguishedName), or "" when the server has none; then
	// existence is checked one entry at a time, a batch per look.
	dnAttr string
	next   int // round-robin position of one-at-a-time existence checks
	// uSNChanged polling: the highest USN seen.
	usn uint64
	// modifyTimestamp polling: the latest timestamp seen (generalized
	// time, as the server wrote it) and the versions seen at it.
	stamp    string
	seenThen map[string]bool
}

func (s *watchSource) poll(ctx context.Context, conn *ldap.Conn, srv Server, mech Mechanism) error {
	st := &pollState{mech: mech}
	if mech == MechanismPollUSN {
		n, err := strconv.ParseUint(s.highestUSN, 10, 64)
		if err != nil {
			return misconfigured("the root DSE has no usable highestCommittedUSN", err)
		}
		st.usn = n
	} else {
		st.stamp = time.Now().Add(-pollLookback).UTC().Format("20060102150405Z")
		if _, err := s.changedSince(conn, st); err != nil { // the baseline
			return err
		}
	}
	st.dnAttr = s.dnFilterAttribute(conn)
	s.w.becameLive(mech, srv)
	tick := time.NewTicker(s.pollEvery)
	defer tick.Stop()
	busy := time.Now()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		tracked := s.w.tracked()
		if s.w.idle(len(tracked), &busy) {
			return errIdle
		}
		changes, err := s.changedSince(conn, st)
		if err != nil {
			return err
		}
		gone, err := s.missing(conn, st, tracked)
		if err != nil {
			return err
		}
		s.w.changed(append(changes, gone...))
	}
}

// changedSince returns the entries changed since st's mark, and moves the
// mark.
func (s *watchSource) changedSince(conn *ldap.Conn, st *pollState) ([]Change, error) {
	var filter string
	attrs := append([]string{attrEntryUUID, attrObjectGUID}, memberAttributes...)
	if st.mech == MechanismPollUSN {
		filter = "(uSNChanged>=" + strconv.FormatUint(st.usn+1, 10) + ")"
		attrs = append(attrs, "uSNChanged")
	} else {
		filter = "(modifyTimestamp>=" + ldap.EscapeFilter(st.stamp) + ")"
		attrs = append(attrs, "modifyTimestamp", "entryCSN")
	}
	var changes []Change
	nextStamp, nextSeen := st.stamp, map[string]bool{}
	for _, base := range s.bases {
		res, err := conn.Search(ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false, filter, attrs, nil))
		if err != nil {
			if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
				continue
			}
			return nil, classifyOp("polling "+base+" for changes", err)
		}
		for _, e := range res.Entries {
			if st.mech == MechanismPollUSN {
				if n, err := strconv.ParseUint(e.GetAttributeValue("uSNChanged"), 10, 64); err == nil && n > st.usn {
					st.usn = n
				}
				changes = append(changes, changeOf(e))
				continue
			}
			stamp := e.GetAttributeValue("modifyTimestamp")
			version := NormalizeDN(e.DN) + "|" + stamp + "|" + e.GetAttributeValue("entryCSN")
			switch {
			case stamp > nextStamp:
				nextStamp, nextSeen = stamp, map[string]bool{version: true}
			case stamp == nextStamp:
				nextSeen[version] = true
			}
			if stamp == st.stamp && st.seenThen[version] {
				continue // seen in the last look
			}
			changes = append(changes, changeOf(e))
		}
	}
	if st.mech != MechanismPollUSN {
		if nextStamp == st.stamp {
			for v := range st.seenThen {
				nextSeen[v] = true
			}
		}
		st.stamp, st.seenThen = nextStamp, nextSeen
	}
	return changes, nil
}

// dnFilterAttribute finds the attribute this server matches DNs with in a
// filter, by asking for a base it knows exists.
func (s *watchSource) dnFilterAttribute(conn *ldap.Conn) string {
	for _, attr := range []string{"entryDN", "distinguishedName"} {
		f := "(" + attr + "=" + ldap.EscapeFilter(s.bases[0]) + ")"
		res, err := conn.Search(ldap.NewSearchRequest(s.bases[0], ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false, f, []string{"1.1"}, nil))
		if err == nil && len(res.Entries) == 1 {
			return attr
		}
	}
	return ""
}

// missing returns the tracked DNs that no longer name an entry under the
// bases: one search per existenceBatch DNs where the server matches DNs in
// filters, else one base search per DN, existenceBatch of them per look in
// turn.
func (s *watchSource) missing(conn *ldap.Conn, st *pollState, tracked []string) ([]Change, error) {
	var under []string
	for _, dn := range tracked {
		for _, b := range s.bases {
			if IsUnder(dn, b) {
				under = append(under, dn)
				break
			}
		}
	}
	if st.dnAttr == "" {
		return s.missingOneByOne(conn, st, under)
	}
	var gone []Change
	for len(under) > 0 {
		batch := under[:min(existenceBatch, len(under))]
		under = under[len(batch):]
		var f strings.Builder
		f.WriteString("(|")
		for _, dn := range batch {
			f.WriteString("(" + st.dnAttr + "=" + ldap.EscapeFilter(dn) + ")")
		}
		f.WriteString(")")
		found := map[string]bool{}
		for _, base := range s.bases {
			res, err := conn.Search(ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false, f.String(), []string{"1.1"}, nil))
			if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
				return nil, classifyOp("checking that cached entries still exist under "+base, err)
			}
			if res != nil {
				for _, e := range res.Entries {
					found[NormalizeDN(e.DN)] = true
				}
			}
		}
		for _, dn := range batch {
			if !found[dn] {
				gone = append(gone, Change{DN: dn})
			}
		}
	}
	return gone, nil
}

func (s *watchSource) missingOneByOne(conn *ldap.Conn, st *pollState, under []string) ([]Change, error) {
	var gone []Change
	for range min(existenceBatch, len(under)) {
		st.next %= len(under)
		dn := under[st.next]
		st.next++
		_, err := conn.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false, "(objectClass=*)", []string{"1.1"}, nil))
		switch {
		case ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject):
			gone = append(gone, Change{DN: dn})
		case err != nil:
			return nil, classifyOp("checking that "+dn+" still exists", err)
		}
	}
	return gone, nil
}
