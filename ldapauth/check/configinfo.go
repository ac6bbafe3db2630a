package check

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
)

// applyOverrides replaces configuration keys with what the command line
// gives, and returns the keys it changed.
func applyOverrides(raw map[string]any, opts Options) []string {
	changed := []string{}
	if len(opts.URLs) > 0 {
		urls := make([]any, len(opts.URLs))
		for i, u := range opts.URLs {
			urls[i] = u
		}
		raw["urls"] = urls
		changed = append(changed, "urls")
		// A server list replaces discovery through DNS.
		for _, key := range []string{"domain", "ad_site", "dns_server"} {
			if _, had := raw[key]; had {
				delete(raw, key)
				changed = append(changed, key+" (removed)")
			}
		}
	}
	if opts.CAFile != "" {
		raw["tls_ca_file"] = opts.CAFile
		changed = append(changed, "tls_ca_file")
		if _, had := raw["tls_ca_pem"]; had {
			delete(raw, "tls_ca_pem")
			changed = append(changed, "tls_ca_pem (removed)")
		}
	}
	return changed
}

// describeConfig sums up what the configuration makes the plugin do.
func describeConfig(cfg *ldapauth.Config) string {
	d := cfg.Directory
	var parts []string
	if cfg.SearchMode() {
		parts = append(parts, "search then bind")
	} else {
		parts = append(parts, "direct bind")
	}
	urls := make([]string, len(d.Servers))
	for i, s := range d.Servers {
		urls[i] = s.URL
	}
	servers := fmt.Sprintf("%d server(s): %s", len(urls), strings.Join(urls, ", "))
	if disc := d.Discovery; disc != nil {
		servers = "servers from the DNS SRV records of " + disc.Domain
		switch disc.Site {
		case "":
		case directory.AutoSite:
			servers += ", the DCs of the site they place this machine in first"
		default:
			servers += ", site " + disc.Site + " first"
		}
	}
	if d.StartTLS {
		servers += " with StartTLS"
	}
	parts = append(parts, servers)
	switch d.Groups.Source {
	case directory.GroupsFromSearch:
		parts = append(parts, "groups searched under "+d.Groups.BaseDN)
	case directory.GroupsFromMemberOf:
		parts = append(parts, "groups from memberOf")
	default:
		parts = append(parts, "groups not read")
	}
	if cfg.MaxFailures > 0 {
		parts = append(parts, fmt.Sprintf("max_failures %d per %v", cfg.MaxFailures, cfg.FailureWindow))
	}
	return strings.Join(parts, "; ")
}

// writtenConfig is the plugin configuration as the file writes it, before
// the gateway's env:// substitution.
func writtenConfig(data []byte) map[string]any {
	src, err := ReadSource(data, func(string) string { return "" })
	if err != nil {
		return nil
	}
	return src.Config
}

// secretKeys are the configuration keys that hold credentials.
var secretKeys = []string{"bind_password", "session_key_secret"}

// secretNotes says where each configured secret comes from, never what it
// is.
func secretNotes(written map[string]any, env Substitution) []string {
	var notes []string
	for _, key := range secretKeys {
		text, ok := written[key].(string)
		if !ok {
			continue
		}
		text = strings.TrimSpace(text)
		switch {
		case strings.HasPrefix(text, "env://"):
			name := strings.TrimPrefix(text, "env://")
			if slices.Contains(env.Replaced, name) {
				notes = append(notes, key+": from the environment variable "+name+" (the gateway substitutes it when it loads the definition)")
			} else {
				notes = append(notes, key+": from the environment variable "+name+" (read by the plugin)")
			}
		case strings.HasPrefix(text, "file://"):
			notes = append(notes, key+": read from the file "+strings.TrimPrefix(text, "file://"))
		default:
			notes = append(notes, key+": written into the definition itself; env:// or file:// would keep it out of the definition")
		}
	}
	return notes
}

// caNotes says which certificate authorities the servers are checked
// against.
func caNotes(cfg *ldapauth.Config, raw map[string]any) []string {
	var notes []string
	if skip, _ := raw["tls_insecure_skip_verify"].(bool); skip {
		notes = append(notes, "warning: tls_insecure_skip_verify is true: any certificate is accepted, so whoever can intercept the connection reads the passwords")
	}
	file, _ := raw["tls_ca_file"].(string)
	inline, _ := raw["tls_ca_pem"].(string)
	if file != "" {
		if data, err := os.ReadFile(file); err == nil {
			notes = append(notes, "tls_ca_file "+file+" trusts: "+strings.Join(pemSubjects(data), "; "))
		}
	}
	if inline != "" {
		notes = append(notes, "tls_ca_pem trusts: "+strings.Join(pemSubjects([]byte(inline)), "; "))
	}
	if file == "" && inline == "" && usesTLS(cfg) {
		notes = append(notes, "no tls_ca_file or tls_ca_pem: certificates are verified against the system CAs (this machine's here, the gateway machine's there)")
	}
	return notes
}

// caSource names what verified the server certificates, for advice.
func caSource(raw map[string]any) string {
	if file, _ := raw["tls_ca_file"].(string); file != "" {
		return "the CA in tls_ca_file (" + file + ")"
	}
	if inline, _ := raw["tls_ca_pem"].(string); inline != "" {
		return "the CA in tls_ca_pem"
	}
	return ""
}

func pemSubjects(data []byte) []string {
	var out []string
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if c, err := x509.ParseCertificate(block.Bytes); err == nil {
			out = append(out, c.Subject.String())
		}
	}
	if len(out) == 0 {
		out = append(out, "no certificate")
	}
	return out
}

// plaintextNotes warns about servers reached without TLS: the passwords
// cross the network readable.
func plaintextNotes(cfg *ldapauth.Config) []string {
	if cfg.Directory.StartTLS {
		return nil
	}
	var notes []string
	for _, srv := range cfg.Directory.Servers {
		if !srv.Encrypted() {
			notes = append(notes, "warning: "+srv.URL+" without start_tls sends passwords unencrypted (accepted because of allow_plaintext or a loopback address)")
		}
	}
	return notes
}

func usesTLS(cfg *ldapauth.Config) bool {
	return cfg.Directory.StartTLS || cfg.Directory.Discovery != nil || slices.ContainsFunc(cfg.Directory.Servers, directory.Server.Encrypted)
}

func sharedStateNote(cfg *ldapauth.Config) string {
	if cfg.SharedState == ldapauth.SharedRedis {
		return " (with shared_state redis the gateway counts them in its Redis, which this check does not use)"
	}
	return ""
}
