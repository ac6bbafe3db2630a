// STAND-IN for tests only, not Tyk code. Mirrors
// github.com/TykTechnologies/tyk/user (user/session.go) as read at tags
// v5.8.0, v5.8.12 and v5.8.15: the session a plugin creates and the methods
// the gateway and plugins call on it. Field names, types and JSON tags are
// the ones of those tags for every field present; fields whose types live in
// packages the stand-in does not carry (GraphQL types, rate-limit smoothing)
// are left out.
//
// Other releases: v5.14.0 has the same names and types but tags most fields
// omitzero or omitempty (an encoded session leaves empty fields out;
// decoding is unchanged) and adds PostExpiryAction, PostExpiryGracePeriod
// and MtlsStaticCertificateBindings. v5.3.13 has no RateLimit type (APILimit
// carries Rate and Per itself) and no APILimit, Touch, Reset or IsModified
// methods: it schedules a session write through the request context instead
// (see package ctx).
package user

import (
	"crypto/md5"
	"fmt"
	"time"
)

// HashType names the algorithm of a basic-auth password hash.
type HashType string

// AccessSpec defines which URLs and methods a key may call.
type AccessSpec struct {
	URL     string   `json:"url" msg:"url"`
	Methods []string `json:"methods" msg:"methods"`
}

// RateLimit holds rate limit configuration.
type RateLimit struct {
	// Rate is the allowed number of requests per interval.
	Rate float64 `json:"rate" msg:"rate"`
	// Per is the interval at which rate limit is enforced.
	Per float64 `json:"per" msg:"per"`
}

// Duration returns the time between two allowed requests at the defined rate.
func (r RateLimit) Duration() time.Duration {
	if r.Per <= 0 || r.Rate <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) * r.Per / r.Rate)
}

// APILimit stores quota and rate limit on ACL level (per API).
type APILimit struct {
	RateLimit
	ThrottleInterval   float64 `json:"throttle_interval" msg:"throttle_interval"`
	ThrottleRetryLimit int     `json:"throttle_retry_limit" msg:"throttle_retry_limit"`
	MaxQueryDepth      int     `json:"max_query_depth" msg:"max_query_depth"`
	QuotaMax           int64   `json:"quota_max" msg:"quota_max"`
	QuotaRenews        int64   `json:"quota_renews" msg:"quota_renews"`
	QuotaRemaining     int64   `json:"quota_remaining" msg:"quota_remaining"`
	QuotaRenewalRate   int64   `json:"quota_renewal_rate" msg:"quota_renewal_rate"`
	SetBy              string  `json:"-" msg:"-"`
}

// IsEmpty checks if APILimit is empty.
func (a APILimit) IsEmpty() bool {
	return a.Rate == 0 && a.Per == 0 && a.ThrottleInterval == 0 && a.ThrottleRetryLimit == 0 &&
		a.MaxQueryDepth == 0 && a.QuotaMax == 0 && a.QuotaRenews == 0 && a.QuotaRemaining == 0 &&
		a.QuotaRenewalRate == 0 && a.SetBy == ""
}

// AccessDefinition defines which versions of an API a key has access to.
type AccessDefinition struct {
	APIName              string       `json:"api_name" msg:"api_name"`
	APIID                string       `json:"api_id" msg:"api_id"`
	Versions             []string     `json:"versions" msg:"versions"`
	AllowedURLs          []AccessSpec `bson:"allowed_urls" json:"allowed_urls" msg:"allowed_urls"`
	Limit                APILimit     `json:"limit" msg:"limit"`
	DisableIntrospection bool         `json:"disable_introspection" msg:"disable_introspection"`

	AllowanceScope string `json:"allowance_scope" msg:"allowance_scope"`
}

// BasicAuthData holds a basic-auth user's password hash.
type BasicAuthData struct {
	Password string   `json:"password" msg:"password"`
	Hash     HashType `json:"hash_type" msg:"hash_type"`
}

// JWTData holds a JWT secret.
type JWTData struct {
	Secret string `json:"secret" msg:"secret"`
}

// Monitor holds quota trigger limits.
type Monitor struct {
	TriggerLimits []float64 `json:"trigger_limits" msg:"trigger_limits"`
}

// SessionState objects represent a current API session, mainly used for rate
// limiting.
type SessionState struct {
	LastCheck                     int64                       `json:"last_check" msg:"last_check"`
	Allowance                     float64                     `json:"allowance" msg:"allowance"`
	Rate                          float64                     `json:"rate" msg:"rate"`
	Per                           float64                     `json:"per" msg:"per"`
	ThrottleInterval              float64                     `json:"throttle_interval" msg:"throttle_interval"`
	ThrottleRetryLimit            int                         `json:"throttle_retry_limit" msg:"throttle_retry_limit"`
	MaxQueryDepth                 int                         `json:"max_query_depth" msg:"max_query_depth"`
	DateCreated                   time.Time                   `json:"date_created" msg:"date_created"`
	Expires                       int64                       `json:"expires" msg:"expires"`
	QuotaMax                      int64                       `json:"quota_max" msg:"quota_max"`
	QuotaRenews                   int64                       `json:"quota_renews" msg:"quota_renews"`
	QuotaRemaining                int64                       `json:"quota_remaining" msg:"quota_remaining"`
	QuotaRenewalRate              int64                       `json:"quota_renewal_rate" msg:"quota_renewal_rate"`
	AccessRights                  map[string]AccessDefinition `json:"access_rights" msg:"access_rights"`
	OrgID                         string                      `json:"org_id" msg:"org_id"`
	OauthClientID                 string                      `json:"oauth_client_id" msg:"oauth_client_id"`
	OauthKeys                     map[string]string           `json:"oauth_keys" msg:"oauth_keys"`
	Certificate                   string                      `json:"certificate" msg:"certificate"`
	BasicAuthData                 BasicAuthData               `json:"basic_auth_data" msg:"basic_auth_data"`
	JWTData                       JWTData                     `json:"jwt_data" msg:"jwt_data"`
	HMACEnabled                   bool                        `json:"hmac_enabled" msg:"hmac_enabled"`
	EnableHTTPSignatureValidation bool                        `json:"enable_http_signature_validation" msg:"enable_http_signature_validation"`
	HmacSecret                    string                      `json:"hmac_string" msg:"hmac_string"`
	RSACertificateId              string                      `json:"rsa_certificate_id" msg:"rsa_certificate_id"`
	IsInactive                    bool                        `json:"is_inactive" msg:"is_inactive"`
	ApplyPolicyID                 string                      `json:"apply_policy_id" msg:"apply_policy_id"`
	ApplyPolicies                 []string                    `json:"apply_policies" msg:"apply_policies"`
	DataExpires                   int64                       `json:"data_expires" msg:"data_expires"`
	Monitor                       Monitor                     `json:"monitor" msg:"monitor"`
	// Deprecated: EnableDetailRecording is deprecated. Use EnableDetailedRecording.
	EnableDetailRecording   bool                   `json:"enable_detail_recording" msg:"enable_detail_recording"`
	EnableDetailedRecording bool                   `json:"enable_detailed_recording" msg:"enable_detailed_recording"`
	MetaData                map[string]interface{} `json:"meta_data" msg:"meta_data"`
	Tags                    []string               `json:"tags" msg:"tags"`
	Alias                   string                 `json:"alias" msg:"alias"`
	LastUpdated             string                 `json:"last_updated" msg:"last_updated"`
	IdExtractorDeadline     int64                  `json:"id_extractor_deadline" msg:"id_extractor_deadline"`
	SessionLifetime         int64                  `bson:"session_lifetime" json:"session_lifetime"`

	// Used to store token hash
	keyHash string
	KeyID   string `json:"-"`

	// modified holds the hint if a session has been modified for update.
	// use Touch() to set it, and IsModified() to get it.
	modified bool
}

// NewSessionState returns an empty session, as the real one does.
func NewSessionState() *SessionState {
	return &SessionState{}
}

// APILimit returns an APILimit from the session data.
func (s *SessionState) APILimit() APILimit {
	return APILimit{
		RateLimit:          RateLimit{Rate: s.Rate, Per: s.Per},
		QuotaMax:           s.QuotaMax,
		QuotaRenewalRate:   s.QuotaRenewalRate,
		QuotaRenews:        s.QuotaRenews,
		ThrottleInterval:   s.ThrottleInterval,
		ThrottleRetryLimit: s.ThrottleRetryLimit,
		MaxQueryDepth:      s.MaxQueryDepth,
	}
}

// Touch marks the session as modified, indicating that it should be updated.
func (s *SessionState) Touch() {
	s.modified = true
}

// Reset marks the session as not modified, skipping related updates.
func (s *SessionState) Reset() {
	s.modified = false
}

// IsModified will return true if session has been modified to trigger an update.
func (s *SessionState) IsModified() bool {
	return s.modified
}

// Clone returns a fresh copy of s. Like the real method it has a value
// receiver, returns a value, and copies maps and slices one level deep.
func (s SessionState) Clone() SessionState {
	newSession := s
	newSession.AccessRights = cloneAccess(s.AccessRights)
	newSession.OauthKeys = cloneKeys(s.OauthKeys)
	newSession.ApplyPolicies = cloneSlice(s.ApplyPolicies)
	newSession.MetaData = cloneMetadata(s.MetaData)
	newSession.Tags = cloneSlice(s.Tags)
	return newSession
}

func cloneSlice(s []string) []string {
	if s == nil {
		return nil
	}
	x := make([]string, len(s))
	copy(x, s)
	return x
}

func cloneMetadata(m map[string]interface{}) map[string]interface{} {
	if m == nil {
		return nil
	}
	x := make(map[string]interface{}, len(m))
	for k, v := range m {
		x[k] = v
	}
	return x
}

func cloneKeys(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	x := make(map[string]string, len(m))
	for k, v := range m {
		x[k] = v
	}
	return x
}

func cloneAccess(m map[string]AccessDefinition) map[string]AccessDefinition {
	if m == nil {
		return nil
	}
	x := make(map[string]AccessDefinition, len(m))
	for k, v := range m {
		x[k] = v
	}
	return x
}

// MD5Hash returns an MD5 of the session's printed form.
func (s *SessionState) MD5Hash() string {
	return fmt.Sprintf("%x", md5.Sum([]byte(fmt.Sprintf("%+v", s))))
}

// KeyHash returns the cached key hash. Like the real method it panics when
// SetKeyHash was never called (ctx.SetSession calls it).
func (s *SessionState) KeyHash() string {
	if s.keyHash == "" {
		panic("KeyHash cache not found. You should call `SetKeyHash` before.")
	}
	return s.keyHash
}

// SetKeyHash caches the key hash.
func (s *SessionState) SetKeyHash(hash string) {
	s.keyHash = hash
}

// KeyHashEmpty reports whether no key hash is cached.
func (s *SessionState) KeyHashEmpty() bool {
	return s.keyHash == ""
}

// Lifetime returns the Redis lifetime in seconds the gateway gives the
// session when it writes it (0: no expiry). The rule, the same at v5.3.13,
// v5.8.0, v5.8.12, v5.8.15 and v5.14.0:
//   - forceGlobalSessionLifetime: globalSessionLifetime, whatever it is;
//   - else the session's own SessionLifetime when > 0, else fallback (the
//     API's session_lifetime) when > 0, else 0;
//   - with respectKeyExpiration, a chosen lifetime is replaced by Expires
//     minus now when the session expires later than now plus that
//     lifetime, and by Expires itself (so 0, no expiry) when Expires <= 0.
//
// v5.14.0 adds one branch after the forced one that the stand-in leaves
// out: a session whose PostExpiryAction is "delete", or "retain" with a
// non-zero PostExpiryGracePeriod, gets a lifetime from Expires and that
// grace period instead. A session without those fields (every session this
// stand-in can build) gets the same result in both.
func (s *SessionState) Lifetime(respectKeyExpiration bool, fallback int64, forceGlobalSessionLifetime bool, globalSessionLifetime int64) int64 {
	if forceGlobalSessionLifetime {
		return globalSessionLifetime
	}
	if s.SessionLifetime > 0 {
		return calculateLifetime(respectKeyExpiration, s.Expires, s.SessionLifetime)
	}
	if fallback > 0 {
		return calculateLifetime(respectKeyExpiration, s.Expires, fallback)
	}
	return 0
}

func calculateLifetime(respectExpiration bool, expiration, lifetime int64) int64 {
	if !respectExpiration || lifetime <= 0 {
		return lifetime
	}
	if expiration <= 0 {
		return expiration
	}
	now := time.Now()
	if expiration > now.Add(time.Duration(lifetime)*time.Second).Unix() {
		return expiration - now.Unix()
	}
	return lifetime
}

// PolicyIDs returns the IDs of all the policies applied to this session. For
// backwards compatibility it falls back to ApplyPolicyID.
func (s *SessionState) PolicyIDs() []string {
	if len(s.ApplyPolicies) > 0 {
		return s.ApplyPolicies
	}
	if s.ApplyPolicyID != "" {
		return []string{s.ApplyPolicyID}
	}
	return nil
}

// SetPolicies sets the policies to apply and clears the legacy single ID.
func (s *SessionState) SetPolicies(ids ...string) {
	s.ApplyPolicyID = ""
	s.ApplyPolicies = ids
}

// PoliciesEqualTo reports whether ids holds exactly the current ApplyPolicies.
func (s *SessionState) PoliciesEqualTo(ids []string) bool {
	if len(s.ApplyPolicies) != len(ids) {
		return false
	}
	polIDMap := make(map[string]bool, len(ids))
	for _, id := range ids {
		polIDMap[id] = true
	}
	for _, curID := range s.ApplyPolicies {
		if !polIDMap[curID] {
			return false
		}
	}
	return true
}

// GetQuotaLimitByAPIID returns quota max, remaining, renewal rate and renews
// for the given API, from its access right when that has a limit.
func (s *SessionState) GetQuotaLimitByAPIID(apiID string) (int64, int64, int64, int64) {
	if access, ok := s.AccessRights[apiID]; ok && !access.Limit.IsEmpty() {
		return access.Limit.QuotaMax, access.Limit.QuotaRemaining, access.Limit.QuotaRenewalRate, access.Limit.QuotaRenews
	}
	return s.QuotaMax, s.QuotaRemaining, s.QuotaRenewalRate, s.QuotaRenews
}
