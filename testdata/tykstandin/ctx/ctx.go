// STAND-IN for tests only, not Tyk code. Mirrors
// github.com/TykTechnologies/tyk/ctx (ctx/ctx.go) as read at tags v5.8.6 to
// v5.8.15: the request context keys and the functions a Go plugin calls.
// The functions (SetSession, GetSession, GetAuthToken, SetDefinition,
// GetDefinition, SetOASDefinition, GetOASDefinition) have the same
// signatures and bodies from v5.8.0 to v5.8.15 and in v5.14.0. Semantics and
// allocations follow the real code: one context.WithValue per stored value
// and one request copy written back into *r (internal/service/core.SetContext).
//
// v5.3.13 differs: it has no SetOASDefinition, its GetDefinition returns the
// stored pointer itself (no copy), its GetOASDefinition copies with
// OAS.Clone, and SetSession records scheduleUpdate as
// the context value UpdateSession instead of calling Touch; the signatures
// of the functions it has are the same.
package ctx

import (
	"context"
	"encoding/json"
	"net/http"

	clone "github.com/huandu/go-clone/generic"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/apidef/oas"
	"github.com/TykTechnologies/tyk/config"
	logger "github.com/TykTechnologies/tyk/log"
	"github.com/TykTechnologies/tyk/storage"
	"github.com/TykTechnologies/tyk/user"
)

// Key is the type of the gateway's request context keys.
type Key uint

// Context keys in the order of v5.8.6 to v5.8.15 (checked tag by tag).
// Other releases differ, so the numeric values differ between releases and
// plugin code must only use the names (a workspace build compiles them from
// the gateway it loads into):
//   - v5.3.13 and v5.8.0 to v5.8.5 have no InternalRedirectTarget and have
//     OASOperation between GraphQLIsWebSocketUpgrade and CacheOptions;
//   - v5.14.0 has this list followed by RequestStartTime,
//     ErrorClassification, JsonRPCRouting, JSONRPCRequest,
//     JSONRPCRoutingState, MCPRouting, OriginalRequestPath, MCPMethod,
//     MCPPrimitiveType, MCPPrimitiveName, JSONRPCErrorCode and
//     MatchedIdPBinding.
const (
	SessionData Key = iota
	// Deprecated: UpdateSession was used to trigger a session update, use *SessionData.Touch instead.
	UpdateSession
	AuthToken
	HashedAuthToken
	VersionData
	VersionName
	VersionDefault
	OrgSessionContext
	ContextData
	RetainHost
	TrackThisEndpoint
	DoNotTrackThisEndpoint
	UrlRewritePath
	InternalRedirectTarget
	RequestMethod
	OrigRequestURL
	LoopLevel
	LoopLevelLimit
	ThrottleLevel
	ThrottleLevelLimit
	Trace
	CheckLoopLimits
	UrlRewriteTarget
	TransformedRequestMethod
	Definition
	RequestStatus
	GraphQLRequest
	GraphQLIsWebSocketUpgrade

	// CacheOptions holds cache options required for cache writer middleware.
	CacheOptions
	OASDefinition
	SelfLooping
)

// setContext replaces *r with a copy carrying ctx, like
// internal/service/core.SetContext: the caller's request pointer sees it.
func setContext(r *http.Request, ctx context.Context) {
	*r = *r.WithContext(ctx)
}

func ctxSetSession(r *http.Request, s *user.SessionState, scheduleUpdate bool, hashKey bool) {
	if s == nil {
		panic("setting a nil context SessionData")
	}

	if s.KeyID == "" {
		s.KeyID = GetAuthToken(r)
	}

	if s.KeyHashEmpty() {
		s.SetKeyHash(storage.HashKey(s.KeyID, hashKey))
	}

	ctx := r.Context()
	ctx = context.WithValue(ctx, SessionData, s)
	ctx = context.WithValue(ctx, AuthToken, s.KeyID)

	if scheduleUpdate {
		s.Touch()
	}

	setContext(r, ctx)
}

// GetAuthToken returns the request's auth token (the session KeyID once a
// session is set).
func GetAuthToken(r *http.Request) string {
	if v := r.Context().Value(AuthToken); v != nil {
		value, ok := v.(string)
		if ok {
			return value
		}
	}
	return ""
}

// GetSession returns the request's session, or nil (always nil in pre and
// auth_check hooks before a session is set).
func GetSession(r *http.Request) *user.SessionState {
	if v := r.Context().Value(SessionData); v != nil {
		if val, ok := v.(*user.SessionState); ok {
			return val
		}
		logger.Get().Warning("SessionState struct differ from the gateway version, trying to unmarshal.")
		sess := user.SessionState{}
		b, _ := json.Marshal(v)
		if e := json.Unmarshal(b, &sess); e == nil {
			return &sess
		}
	}
	return nil
}

// SetSession sets s as the request's session. scheduleUpdate marks it
// modified (Touch) so the gateway persists it after the middleware. The explicit
// hashKey value is used only when two or more are passed; otherwise
// config.Global().HashKeys decides, and config.Global is nil (so this
// panics) outside a gateway.
func SetSession(r *http.Request, s *user.SessionState, scheduleUpdate bool, hashKey ...bool) {
	if len(hashKey) > 1 {
		ctxSetSession(r, s, scheduleUpdate, hashKey[0])
	} else {
		ctxSetSession(r, s, scheduleUpdate, config.Global().HashKeys)
	}
}

// SetDefinition sets an API definition object to the request context.
func SetDefinition(r *http.Request, s *apidef.APIDefinition) {
	ctx := r.Context()
	ctx = context.WithValue(ctx, Definition, s)
	setContext(r, ctx)
}

// GetDefinition will return a deep copy of the API definition valid for the
// request (nil for OAS APIs). The copy is made on every call, with the
// library behind the gateway's internal/reflect.Clone (huandu/go-clone,
// v1.7.2 in the go.mod of v5.8.0 to v5.14.0).
func GetDefinition(r *http.Request) *apidef.APIDefinition {
	if v := r.Context().Value(Definition); v != nil {
		if val, ok := v.(*apidef.APIDefinition); ok {
			return clone.Clone[*apidef.APIDefinition](val)
		}
	}
	return nil
}

// SetOASDefinition sets an OAS API definition object to the request context.
func SetOASDefinition(r *http.Request, s *oas.OAS) {
	ctx := r.Context()
	ctx = context.WithValue(ctx, OASDefinition, s)
	setContext(r, ctx)
}

// GetOASDefinition will return a deep copy of the OAS API definition valid
// for the request (nil for classic APIs).
func GetOASDefinition(r *http.Request) *oas.OAS {
	if v := r.Context().Value(OASDefinition); v != nil {
		if val, ok := v.(*oas.OAS); ok {
			return clone.Clone[*oas.OAS](val)
		}
	}
	return nil
}
