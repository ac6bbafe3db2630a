package tykhost

import (
	"errors"
	"fmt"
	"sync"

	"github.com/TykTechnologies/tyk/user"
)

// Policy errors with the texts of Tyk's internal/policy Apply.
var (
	errPolicyOtherOrg  = errors.New("attempting to apply policy from different organisation to key, skipping")
	errNoValidPolicies = errors.New("key has no valid policies to be applied")
)

// PolicyStore holds the gateway's policies (Tyk's policy_path or Dashboard),
// looked up by ID as in v5.3.13 to v5.8.15 (v5.14.0 scopes the lookup by org).
type PolicyStore struct {
	mu   sync.RWMutex
	byID map[string]user.Policy
}

func newPolicyStore() *PolicyStore {
	return &PolicyStore{byID: make(map[string]user.Policy)}
}

// Set adds or replaces policies.
func (ps *PolicyStore) Set(policies ...user.Policy) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for _, p := range policies {
		ps.byID[p.ID] = p
	}
}

// Replace drops every policy and stores these.
func (ps *PolicyStore) Replace(policies []user.Policy) {
	ps.mu.Lock()
	ps.byID = make(map[string]user.Policy, len(policies))
	ps.mu.Unlock()
	ps.Set(policies...)
}

func (ps *PolicyStore) get(id string) (user.Policy, bool) {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	p, ok := ps.byID[id]
	return p, ok
}

// Apply applies the session's policies like Tyk's internal/policy Apply,
// reduced to what the plugin contract needs:
//   - no policies: the session is left as the plugin built it;
//   - a missing policy is an error when it is the only one, and skipped
//     when there are several;
//   - a policy of another org than the API's is an error;
//   - the policies must yield access rights, which then replace the
//     session's; rate and quota come from the policy with the biggest
//     allowance (partitions decide which parts apply);
//   - tags and metadata are merged in, inactive policies make the session
//     inactive.
//
// Per-endpoint limits, GraphQL rules, smoothing and quota scopes are not
// modelled.
func (ps *PolicyStore) Apply(s *user.SessionState, apiOrgID string) error {
	ids := s.PolicyIDs()
	if len(ids) == 0 {
		return nil
	}
	if s.MetaData == nil {
		s.MetaData = make(map[string]interface{})
	}
	rights := make(map[string]user.AccessDefinition)
	var (
		setRate, setQuota bool
		rate              user.RateLimit
		quotaMax          int64
		quotaRenewal      int64
	)
	for _, id := range ids {
		p, ok := ps.get(id)
		if !ok {
			err := fmt.Errorf("policy not found: %q", id)
			if len(ids) > 1 {
				continue
			}
			return err
		}
		if p.OrgID != apiOrgID {
			return errPolicyOtherOrg
		}
		all := !p.Partitions.Enabled()
		if all || p.Partitions.Acl {
			for apiID, ad := range p.AccessRights {
				rights[apiID] = mergeAccess(rights[apiID], ad)
			}
		}
		if all || p.Partitions.RateLimit {
			pr := user.RateLimit{Rate: p.Rate, Per: p.Per}
			if !setRate || greaterAllowance(pr, rate) {
				rate, setRate = pr, true
			}
		}
		if all || p.Partitions.Quota {
			if !setQuota || quotaGreater(p.QuotaMax, quotaMax) {
				quotaMax, quotaRenewal, setQuota = p.QuotaMax, p.QuotaRenewalRate, true
			}
		}
		if p.IsInactive {
			s.IsInactive = true
		}
		s.Tags = appendMissing(s.Tags, p.Tags...)
		for k, v := range p.MetaData {
			s.MetaData[k] = v
		}
		if p.LastUpdated > s.LastUpdated {
			s.LastUpdated = p.LastUpdated
		}
	}
	if len(rights) == 0 {
		return errNoValidPolicies
	}
	if setRate {
		s.Rate, s.Per = rate.Rate, rate.Per
	}
	if setQuota {
		s.QuotaMax, s.QuotaRenewalRate = quotaMax, quotaRenewal
	}
	s.AccessRights = rights
	return nil
}

// greaterAllowance reports whether a allows more requests than b: a smaller
// interval between requests, with "no limit" (rate <= 0) winning.
func greaterAllowance(a, b user.RateLimit) bool {
	if a.Rate <= 0 {
		return b.Rate > 0
	}
	if b.Rate <= 0 {
		return false
	}
	return a.Duration() < b.Duration()
}

// quotaGreater reports whether quota a is bigger than b; -1 is unlimited.
func quotaGreater(a, b int64) bool {
	if a < 0 {
		return b >= 0
	}
	if b < 0 {
		return false
	}
	return a > b
}

func mergeAccess(have, add user.AccessDefinition) user.AccessDefinition {
	if have.APIID == "" {
		add.Versions = append([]string(nil), add.Versions...)
		return add
	}
	have.Versions = appendMissing(have.Versions, add.Versions...)
	return have
}

func appendMissing(list []string, add ...string) []string {
	seen := make(map[string]bool, len(list))
	for _, v := range list {
		seen[v] = true
	}
	for _, v := range add {
		if !seen[v] {
			list = append(list, v)
			seen[v] = true
		}
	}
	return list
}
