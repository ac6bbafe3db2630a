package ldapauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
)

// Grant is what a successful check hands to the gateway: who the user is
// and everything needed to build the Tyk session and the upstream headers.
// A Grant is built once per cache fill and shared, read-only, by every
// request it serves; the binding copies what the gateway may modify.
type Grant struct {
	Identity *directory.Identity
	// Allowed is false when the credentials are right but the access rules
	// (required_groups, allowed_users) deny the user: 403.
	Allowed bool
	// KeyID is the Tyk session key: stable for one directory entry on one
	// API across gateway nodes, not guessable without session_key_secret.
	KeyID string
	// Policies are the Tyk policy IDs to apply, in a stable order.
	Policies []string
	// MetaData is the session metadata (ldap_dn, ldap_username, ldap_groups,
	// ldap_<attribute>), every value sanitised like a header value. Copy it
	// before handing it to the gateway.
	MetaData map[string]any

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

// sessionKeys derives session KeyIDs.
type sessionKeys struct {
	secret []byte
	apiID  string
}

// KeyIDPrefix starts every session KeyID the plugin makes.
const KeyIDPrefix = "ldap-"

// MetaAPIID is the session metadata key naming the API that granted the
// session: after a tyk:// loop it tells the binding which API the request
// came from.
const MetaAPIID = "ldap_api_id"

// keyID is "ldap-" + hex(HMAC-SHA256(secret, API ID, entry ID))[:40]. The
// entry ID (entryUUID, objectGUID or normalised DN) is unique in the
// directory, so two accounts never share a session even when directory
// data gives them the same username. The API ID is part of it so one
// user's sessions on two APIs never overwrite each other's access rights
// in Redis.
func (k sessionKeys) keyID(entryID string) string {
	mac := hmac.New(sha256.New, k.secret)
	mac.Write([]byte("tyk-ldap-auth session\x00"))
	mac.Write([]byte(k.apiID))
	mac.Write([]byte{0})
	mac.Write([]byte(entryID))
	return KeyIDPrefix + hex.EncodeToString(mac.Sum(nil))[:40]
}

// groupLabels is how the user's groups are named upstream (groups_header,
// ldap_groups), by the rule required_groups follows: a bare name means a
// group under group_base_dn, so names are used only when that base
// confines the groups. Without it a same-named group anywhere in the
// directory would pass for the real one, so every group goes by its DN.
func groupLabels(cfg *Config, id *directory.Identity) []string {
	if cfg.Directory.Groups.BaseDN != "" {
		return id.GroupNames()
	}
	dns := make([]string, len(id.Groups))
	for i, g := range id.Groups {
		dns[i] = g.DN
	}
	return dns
}

// newGrant evaluates access rules and prepares the session and headers.
func (g *Gate) newGrant(id *directory.Identity) *Grant {
	cfg := g.cfg
	gr := &Grant{
		Identity: id,
		Allowed:  g.rules.allows(id),
		KeyID:    g.keys.keyID(id.ID),
		Policies: g.policies.policiesFor(id),
		MetaData: map[string]any{
			"ldap_dn":       sanitizeText(id.DN),
			"ldap_username": sanitizeText(id.Username),
			MetaAPIID:       g.api.ID,
		},
	}
	groups := groupLabels(cfg, id)
	if cfg.NeedsGroups() {
		gr.MetaData["ldap_groups"] = encodeList(groups, maxMetadataValue)
	}
	for _, attr := range cfg.MetadataAttributes {
		if v := id.Attributes[attr]; len(v) > 0 {
			gr.MetaData["ldap_"+attr] = encodeList(v, maxMetadataValue)
		}
	}
	gr.persisted = g.persistStateFor(gr)
	if cfg.UserHeader != "" {
		if v, ok := boundedValue(sanitizeText(id.Username)); ok {
			gr.addHeader(cfg.UserHeader, v)
		} else {
			g.log.Warn("the canonical username is too long for the user header; the header is not sent", "user", truncate(id.Username))
		}
	}
	if cfg.GroupsHeader != "" {
		gr.addHeader(cfg.GroupsHeader, encodeList(groups, maxHeaderValue))
	}
	for _, attr := range slices.Sorted(maps.Keys(cfg.AttributeHeaders)) {
		if v := id.Attributes[attr]; len(v) > 0 {
			gr.addHeader(cfg.AttributeHeaders[attr], encodeList(v, maxHeaderValue))
		}
	}
	return gr
}

func (gr *Grant) addHeader(name, value string) {
	gr.headers = append(gr.headers, identityHeader{
		name:  http.CanonicalHeaderKey(name),
		value: []string{value}[:1:1],
	})
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
	for _, k := range slices.Sorted(maps.Keys(gr.MetaData)) {
		field(k)
		v, _ := gr.MetaData[k].(string)
		field(v)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// CopyMetaData returns a fresh copy of the session metadata; the gateway
// merges policy metadata into the map it is given.
func (gr *Grant) CopyMetaData() map[string]any {
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

// Bounds on what directory data may put into a header or metadata value.
const (
	maxHeaderValue   = 4096
	maxMetadataValue = 16 << 10
)

// sanitizeText drops control characters (CR and LF would split a header;
// NUL and others confuse upstreams) and outer spaces. Tyk can copy
// metadata into headers ($tyk_meta), so metadata gets the same treatment.
func sanitizeText(v string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
			return -1
		}
		return r
	}, v))
}

// boundedValue reports v if it fits a header value.
func boundedValue(v string) (string, bool) { return v, len(v) <= maxHeaderValue }

// encodeList joins values with "," after percent-encoding "%" and "," in
// each, so a value holding a comma ("Smith, John") stays one value:
// split on "," and percent-decode to get the values back. Values that would
// take the result past limit bytes are left out whole, never cut.
func encodeList(values []string, limit int) string {
	var b strings.Builder
	for _, v := range values {
		item := listEscaper.Replace(sanitizeText(v))
		need := len(item)
		if b.Len() > 0 {
			need++
		}
		if b.Len()+need > limit {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(item)
	}
	return b.String()
}

var listEscaper = strings.NewReplacer("%", "%25", ",", "%2C")

// truncate bounds a username for log lines.
func truncate(s string) string {
	if len(s) <= 64 {
		return s
	}
	cut := 64
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
