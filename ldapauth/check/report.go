package check

// The report is also the --json output of ldapauth-check, so its field
// names are a stable schema (docs/check.md): fields may be added, none is
// renamed or removed without raising SchemaVersion.

// SchemaVersion is the version of the JSON report schema.
const SchemaVersion = 1

// Report is everything one check found, in the order it happened.
type Report struct {
	Schema   int    `json:"schema"`
	File     string `json:"file,omitempty"`
	Username string `json:"username"`
	// Source is what the gateway binding reads from the file.
	Source SourceReport `json:"source"`
	// Steps are the checks and directory operations, in order.
	Steps []Step `json:"steps"`
	// ConfigErrors lists every configuration problem, each naming its key.
	ConfigErrors []ConfigProblem `json:"config_errors"`
	// Identity is who the directory says the user is, once known.
	Identity *Identity `json:"identity"`
	// Groups are the user's groups as the access rules see them.
	Groups []Group `json:"groups"`
	// Access is how the access rules decided, once the user is identified.
	Access *Access `json:"access"`
	// Policies are the Tyk policy IDs the session would apply.
	Policies []string `json:"policies"`
	// Session is what the gateway would be handed on success.
	Session *Session `json:"session"`
	// Log holds the lines the plugin logged during the check.
	Log []LogLine `json:"log"`
	// Verdict is the gateway's answer.
	Verdict Verdict `json:"verdict"`
}

// SourceReport describes the file.
type SourceReport struct {
	Kind       Kind     `json:"kind"`
	APIID      string   `json:"api_id"`
	OrgID      string   `json:"org_id"`
	APIName    string   `json:"api_name"`
	ConfigPath string   `json:"config_path"`
	Warnings   []string `json:"warnings"`
	// Overrides are the configuration keys replaced from the command line.
	Overrides []string `json:"overrides"`
}

// Step is one thing the check did or saw.
type Step struct {
	// Name is one of: definition, config, dns, connect, tls, starttls,
	// service bind, search, user bind, read entry, unique check, root dse,
	// group search, groups, access, session, decision, revocation watch,
	// and self edit (a warning after the decision: the user may change
	// their own username_attribute).
	Name string `json:"name"`
	// Server is the directory server URL the step talked to.
	Server string `json:"server,omitempty"`
	// Detail says what the step worked on.
	Detail string `json:"detail"`
	// Entries are the DNs a search returned (or the groups found).
	Entries []string `json:"entries,omitempty"`
	// Certificates is the chain a server presented, leaf first.
	Certificates []Certificate `json:"certificates,omitempty"`
	// Notes are further facts about the step.
	Notes  []string `json:"notes,omitempty"`
	TookMS float64  `json:"took_ms"`
	OK     bool     `json:"ok"`
	Error  string   `json:"error,omitempty"`
	// Advice says what to change when the step failed.
	Advice string `json:"advice,omitempty"`
}

// Certificate describes one certificate of a presented chain.
type Certificate struct {
	Subject   string   `json:"subject"`
	Issuer    string   `json:"issuer"`
	DNSNames  []string `json:"dns_names,omitempty"`
	IPs       []string `json:"ip_addresses,omitempty"`
	NotBefore string   `json:"not_before"`
	NotAfter  string   `json:"not_after"`
	IsCA      bool     `json:"is_ca"`
}

// ConfigProblem is one configuration error, as the gateway logs it.
type ConfigProblem struct {
	Key     string `json:"key"`
	Problem string `json:"problem"`
}

// Identity is the canonical identity of the user.
type Identity struct {
	Username   string              `json:"username"`
	DN         string              `json:"dn"`
	UniqueID   string              `json:"unique_id"`
	Attributes map[string][]string `json:"attributes,omitempty"`
}

// Group is one group of the user.
type Group struct {
	Name string `json:"name"`
	DN   string `json:"dn"`
}

// Access is the access rules and how they decided.
type Access struct {
	RequiredGroups []string `json:"required_groups"`
	AllowedUsers   []string `json:"allowed_users"`
	Allowed        bool     `json:"allowed"`
	// Because says which rule let the user in, or why none did.
	Because string `json:"because"`
}

// Session is what the gateway binding would hand to Tyk.
type Session struct {
	KeyID    string         `json:"key_id"`
	Alias    string         `json:"alias"`
	OrgID    string         `json:"org_id"`
	Policies []string       `json:"policies"`
	MetaData map[string]any `json:"metadata"`
	// AccessRights maps the API ID to its name and versions.
	AccessRights    map[string]AccessRight `json:"access_rights"`
	LifetimeSeconds int64                  `json:"lifetime_seconds"`
	// Expires is when Tyk would consider the session expired (Unix
	// seconds): session_lifetime from now, renewed by every request.
	Expires int64 `json:"expires"`
	// Persist says whether this request would write the session to Redis.
	Persist bool `json:"persist"`
	// UpstreamHeaders are the headers the upstream would receive from the
	// plugin.
	UpstreamHeaders map[string]string `json:"upstream_headers"`
	// RemovedHeaders are request headers removed before the upstream.
	RemovedHeaders []string `json:"removed_headers"`
	// KeyIDNote explains when the KeyID differs between gateway processes.
	KeyIDNote string `json:"key_id_note,omitempty"`
}

// AccessRight is the session's access to one API.
type AccessRight struct {
	APIName  string   `json:"api_name"`
	Versions []string `json:"versions"`
}

// LogLine is one line the plugin logged.
type LogLine struct {
	Level   string            `json:"level"`
	Message string            `json:"message"`
	Attrs   map[string]string `json:"attrs,omitempty"`
}

// Verdict is the HTTP answer the gateway would give.
type Verdict struct {
	// Status is 200 when the request would reach the upstream, else the
	// status the plugin writes: 401, 403, 429, 500 or 503.
	Status int `json:"status"`
	// Outcome is the plugin's name for it: granted, unauthorized,
	// forbidden, throttled, unavailable, misconfigured or busy.
	Outcome string `json:"outcome"`
	// Reason is why, in the plugin's own words where it has them.
	Reason string `json:"reason"`
	// Advice says what to change, when something should be.
	Advice string `json:"advice,omitempty"`
	// Step is the name of the step the verdict comes from.
	Step string `json:"step,omitempty"`
}

// Granted reports whether the user would be let in.
func (r *Report) Granted() bool { return r.Verdict.Status == 200 }
