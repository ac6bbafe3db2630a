package ldapauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"time"
)

// Grant is what a successful check hands to the gateway: who the user is and
// everything needed to build the Tyk session and the upstream headers. A
// Grant is built once per cache fill and shared, read-only, by every request
// it serves; the binding copies what the gateway may modify.
type Grant struct {
	Identity *Identity
	// Allowed is false when the credentials are right but the access rules
	// (required_groups, allowed_users) deny the user: 403.
	Allowed bool
	// KeyID is the Tyk session key: stable for one user of one API across
	// gateway nodes, not guessable without session_key_secret.
	KeyID string
	// Policies are the Tyk policy IDs to apply, in a stable order.
	Policies []string
	// MetaData is the session metadata (ldap_dn, ldap_username, ldap_groups,
	// ldap_<attribute>). Copy it before handing it to the gateway.
	MetaData map[string]interface{}

	headers []identityHeader
	// persisted is shared by every Grant with the same KeyID and session
	// content, so "Alice" and "alice" (two cache entries, one user) cause
	// one Redis write between them.
	persisted *persistState
}

// persistState records when a session was last written to Redis.
type persistState struct {
	content [sha256.Size]byte // hash of what the session carries
	last    atomic.Int64      // unix nanos of the last write scheduled
}

// identityHeader is one header set for the upstream, value pre-sanitised.
// value is a one-element slice with capacity one, so it can be shared
// between requests: an append by later middleware copies it.
type identityHeader struct {
	name  string
	value []string
}

// maxHeaderValue bounds each identity header; directory values can be long.
const maxHeaderValue = 4096

// sessionKeys derives session KeyIDs.
type sessionKeys struct {
	secret []byte
	apiID  string
}

// keyID is "ldap-" + hex(HMAC-SHA256(secret, api ID, username))[:40]. The
// API ID is part of it so one user's sessions on two APIs never overwrite
// each other's access rights in Redis.
func (k sessionKeys) keyID(username string) string {
	mac := hmac.New(sha256.New, k.secret)
	mac.Write([]byte("tyk-ldap-auth session\x00"))
	mac.Write([]byte(k.apiID))
	mac.Write([]byte{0})
	mac.Write([]byte(username))
	return "ldap-" + hex.EncodeToString(mac.Sum(nil))[:40]
}

// newGrant evaluates access rules and prepares the session and headers.
func (g *Gate) newGrant(id *Identity) *Grant {
	gr := &Grant{
		Identity: id,
		Allowed:  g.rules.allows(id),
		KeyID:    g.keys.keyID(id.Username),
		Policies: g.policies.policiesFor(id),
		MetaData: map[string]interface{}{"ldap_dn": id.DN, "ldap_username": id.Username},
	}
	cfg := g.cfg
	if cfg.NeedsGroups() {
		gr.MetaData["ldap_groups"] = strings.Join(id.GroupNames(), ",")
	}
	for _, attr := range cfg.MetadataAttributes {
		if v := id.Attributes[attr]; len(v) > 0 {
			// Sanitised like headers: Tyk can copy metadata into headers
			// ($tyk_meta), where CR/LF would break or split the request.
			gr.MetaData["ldap_"+attr] = sanitizeHeaderValue(strings.Join(v, ","))
		}
	}
	gr.persisted = g.persistStateFor(gr)
	if cfg.UserHeader != "" {
		gr.addHeader(cfg.UserHeader, id.Username)
	}
	if cfg.GroupsHeader != "" {
		gr.addHeader(cfg.GroupsHeader, strings.Join(id.GroupNames(), ","))
	}
	for _, attr := range sortedKeys(cfg.AttributeHeaders) {
		if v := id.Attributes[attr]; len(v) > 0 {
			gr.addHeader(cfg.AttributeHeaders[attr], strings.Join(v, ","))
		}
	}
	return gr
}

func (gr *Grant) addHeader(name, value string) {
	gr.headers = append(gr.headers, identityHeader{
		name:  http.CanonicalHeaderKey(name),
		value: []string{sanitizeHeaderValue(value)}[:1:1],
	})
}

// sanitizeHeaderValue drops control characters (CR and LF would split the
// header; NUL and others confuse upstreams) and bounds the length on a UTF-8
// boundary.
func sanitizeHeaderValue(v string) string {
	var b strings.Builder
	for _, r := range v {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
			continue
		}
		if b.Len()+len(string(r)) > maxHeaderValue {
			break
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// shouldPersist reports whether this request should write the session to
// Redis: when this process has not written this user's session with this
// content yet, and again after half the session lifetime so the stored copy
// never expires while the user is active. Writing on every request would
// cost about a fifth of the gateway's throughput.
func (p *persistState) shouldPersist(now time.Time, lifetime time.Duration) bool {
	last := p.last.Load()
	if last != 0 && now.UnixNano()-last < int64(lifetime/2) {
		return false
	}
	return p.last.CompareAndSwap(last, now.UnixNano())
}

// sessionContent hashes everything the session carries, so a change in
// groups, policies or attributes counts as a new session to write.
func (gr *Grant) sessionContent() [sha256.Size]byte {
	h := sha256.New()
	field := func(s string) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(gr.KeyID)
	for _, p := range gr.Policies {
		field(p)
	}
	field("\x00meta")
	for _, k := range sortedMetaKeys(gr.MetaData) {
		field(k)
		field(fmt.Sprint(gr.MetaData[k]))
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

func sortedMetaKeys(m map[string]interface{}) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// CopyMetaData returns a fresh copy of the session metadata; the gateway
// merges policy metadata into the map it is given.
func (gr *Grant) CopyMetaData() map[string]interface{} {
	return maps.Clone(gr.MetaData)
}

// persistStateFor returns the write record shared by grants of the same
// user and content. The records are bounded like the decision cache; a
// forgotten record only costs one extra write.
func (g *Gate) persistStateFor(gr *Grant) *persistState {
	content := gr.sessionContent()
	if v, ok := g.persisted.Get(gr.KeyID); ok {
		if st := v.(*persistState); st.content == content {
			return st
		}
	}
	st := &persistState{content: content}
	if g.persisted.ItemCount() >= g.cfg.CacheMaxEntries {
		g.persisted.DeleteExpired()
	}
	if g.persisted.ItemCount() < g.cfg.CacheMaxEntries {
		g.persisted.Set(gr.KeyID, st, g.cfg.SessionLifetime)
	}
	return st
}
