package check

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
)

// convertSteps turns the directory's trace into report steps, names each
// search by its purpose, and gives failed steps advice. blamed is the index
// of the step the authentication failed at, or -1 when it did not fail;
// when no traced operation failed (a search that found the wrong number of
// entries, an entry unfit as an identity) the failure is put on the search
// whose result caused it, or on an added step.
func convertSteps(trace []directory.Step, ac *adviceContext, authErr error) (steps []Step, blamed int) {
	lab := searchLabeler{cfg: ac.cfg}
	steps = make([]Step, 0, len(trace)+1)
	blamed = -1
	for _, s := range trace {
		step := Step{Name: lab.name(s), Server: s.Server, Detail: s.Detail, Entries: s.Entries, TookMS: millis(s.Took), OK: s.Err == nil}
		if step.Server == "" {
			step.Server = lab.server
		}
		switch s.Name {
		case directory.StepConnect:
			step.Detail = "tcp " + s.Detail
			if lab.unknownUser {
				step.Notes = append(step.Notes, "for a bind as a name no entry has: an unknown user costs the same round trips as a wrong password")
			}
		case directory.StepServiceBind, directory.StepUserBind:
			step.Detail = "as " + s.Detail
		case directory.StepGroups:
			step.Detail = fmt.Sprintf("of %s: %d group(s)", s.Detail, len(s.Entries))
		case directory.StepSearch:
			step.Detail = fmt.Sprintf("%s: %s", s.Detail, countEntries(len(s.Entries)))
			if step.Name == "root dse" {
				step.Detail = "the root DSE's supportedCapabilities (is the server Active Directory?)"
				step.Entries = nil
			}
			if step.Name == "search" && len(s.Entries) == 0 && s.Err == nil {
				lab.unknownUser = true
			}
		case directory.StepTLS, directory.StepStartTLS:
			step.Detail, step.Certificates = tlsDetail(s.TLS)
		}
		if s.Err != nil {
			step.Error = s.Err.Error()
			var notes []string
			step.Advice, notes = ac.stepAdvice(&step, s)
			step.Notes = append(step.Notes, notes...)
		}
		steps = append(steps, step)
	}
	if authErr == nil {
		return steps, -1
	}
	for i := len(trace) - 1; i >= 0; i-- {
		if trace[i].Err != nil && errors.Is(authErr, trace[i].Err) {
			return steps, i
		}
	}
	for i := len(steps) - 1; i >= 0; i-- {
		if isUserEntrySearch(steps[i].Name) {
			if len(steps[i].Entries) != 1 {
				steps[i].OK = false
				steps[i].Error = authErr.Error()
				steps[i].Advice = ac.searchResultAdvice(steps[i], authErr)
				return steps, i
			}
			break
		}
	}
	name := "directory"
	if directory.KindOf(authErr) == directory.KindMisconfigured {
		name = "identity"
	}
	step := Step{Name: name, Error: authErr.Error(), Advice: ac.unattributedAdvice(authErr)}
	if len(steps) > 0 {
		step.Server = steps[len(steps)-1].Server
	}
	return append(steps, step), len(steps)
}

func countEntries(n int) string {
	if n == 1 {
		return "1 entry"
	}
	return fmt.Sprintf("%d entries", n)
}

// isUserEntrySearch reports the searches that find or check the user's
// own entry, whose result can fail an authentication without an error.
func isUserEntrySearch(name string) bool {
	switch name {
	case "search", "read entry", "unique check":
		return true
	}
	return false
}

// searchLabeler names each traced search by what it was for. The directory
// performs one authentication's operations in a fixed order (user search,
// user bind, then reading the entry, the uniqueness check, groups), so the
// position of a search and its base tell them apart. Moving to another
// server starts the order again (failover).
type searchLabeler struct {
	cfg            *ldapauth.Config
	server         string
	userBound      bool
	entryRead      bool
	groupsSearched bool
	// unknownUser is set once the user search found nothing.
	unknownUser bool
}

func (l *searchLabeler) name(s directory.Step) string {
	switch s.Name {
	case directory.StepConnect:
		if s.Server != l.server {
			*l = searchLabeler{cfg: l.cfg, server: s.Server}
		}
	case directory.StepUserBind:
		l.userBound = true
	case directory.StepSearch:
		return l.searchName(s.Detail)
	}
	return string(s.Name)
}

func (l *searchLabeler) searchName(detail string) string {
	d := l.cfg.Directory
	switch {
	case strings.HasPrefix(detail, "base  filter "):
		return "root dse"
	case !l.userBound && l.cfg.SearchMode():
		return "search"
	case l.userBound && !l.cfg.SearchMode() && !l.entryRead:
		l.entryRead = true
		return "read entry"
	case !l.groupsSearched && strings.HasPrefix(detail, "base "+uniquenessBase(l.cfg)+" filter ("+d.UsernameAttribute+"="):
		return "unique check"
	}
	l.groupsSearched = true
	return "group search"
}

// uniquenessBase is where the directory checks that a canonical username
// is unique: the search base, else the base of the bind template.
func uniquenessBase(cfg *ldapauth.Config) string {
	if cfg.Directory.SearchBaseDN != "" {
		return cfg.Directory.SearchBaseDN
	}
	return cfg.Directory.BindTemplate.EntryBase()
}

// searchFilter returns the filter of a search step's detail ("base B
// filter F: N entries").
func searchFilter(step Step) string {
	_, rest, ok := strings.Cut(step.Detail, " filter ")
	if !ok {
		return ""
	}
	if i := strings.LastIndex(rest, ": "); i >= 0 {
		rest = rest[:i]
	}
	return rest
}
