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
	s.w.becameLive(mech, srv)
	tick := time.NewTicker(s.pollEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		changes, err := s.changedSince(conn, st)
		if err != nil {
			return err
		}
		gone, err := s.missing(conn, s.w.tracked())
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

// missing returns the tracked DNs that no longer name an entry under the
// bases.
func (s *watchSource) missing(conn *ldap.Conn, tracked []string) ([]Change, error) {
	byBase := make([][]string, len(s.bases))
	for _, dn := range tracked {
		for i, b := range s.bases {
			if IsUnder(dn, b) {
				byBase[i] = append(byBase[i], dn)
				break
			}
		}
	}
	attr := "entryDN"
	if s.activeDirectory {
		attr = "distinguishedName"
	}
	var gone []Change
	for i, dns := range byBase {
		for len(dns) > 0 {
			batch := dns[:min(existenceBatch, len(dns))]
			dns = dns[len(batch):]
			var f strings.Builder
			f.WriteString("(|")
			for _, dn := range batch {
				f.WriteString("(" + attr + "=" + ldap.EscapeFilter(dn) + ")")
			}
			f.WriteString(")")
			res, err := conn.Search(ldap.NewSearchRequest(s.bases[i], ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false, f.String(), []string{"1.1"}, nil))
			if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
				return nil, classifyOp("checking that cached entries still exist under "+s.bases[i], err)
			}
			found := map[string]bool{}
			if res != nil {
				for _, e := range res.Entries {
					found[NormalizeDN(e.DN)] = true
				}
			}
			for _, dn := range batch {
				if !found[dn] {
					gone = append(gone, Change{DN: dn})
				}
			}
		}
	}
	return gone, nil
}
