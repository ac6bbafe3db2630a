package check

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// WriteText prints the report for a terminal: one line per step with its
// result and timing, indented facts below it, then the identity, groups,
// access, session and the verdict.
func (r *Report) WriteText(w io.Writer) error {
	p := &printer{w: w}
	user := r.Username
	if user == "" {
		user = `""`
	}
	p.line("ldapauth-check: %s, user %s", orDash(r.File), user)
	p.line("")
	for _, s := range r.Steps {
		p.step(s)
	}
	p.line("")
	if len(r.ConfigErrors) > 0 {
		for _, e := range r.ConfigErrors {
			p.field("config error", fmt.Sprintf("%s: %s", e.Key, e.Problem))
		}
	}
	if id := r.Identity; id != nil {
		p.field("identity", fmt.Sprintf("username %s, DN %s, unique ID %s", id.Username, id.DN, id.UniqueID))
		for _, k := range slices.Sorted(maps.Keys(id.Attributes)) {
			p.more(fmt.Sprintf("%s: %s", k, strings.Join(id.Attributes[k], ", ")))
		}
		groups := make([]string, len(r.Groups))
		for i, g := range r.Groups {
			groups[i] = g.Name + " (" + g.DN + ")"
		}
		p.field("groups", orNone(strings.Join(groups, ", ")))
	}
	if a := r.Access; a != nil {
		result := "allowed"
		if !a.Allowed {
			result = "REFUSED"
		}
		p.field("access", result+": "+a.Because)
	}
	if s := r.Session; s != nil {
		p.field("policies", orNone(strings.Join(r.Policies, ", ")))
		p.field("session", "KeyID "+s.KeyID)
		if s.KeyIDNote != "" {
			p.more("note: " + s.KeyIDNote)
		}
		p.more(fmt.Sprintf("alias %s, org %s, lifetime %d s (expires %s), written to Redis by this request: %t",
			s.Alias, orDash(s.OrgID), s.LifetimeSeconds, time.Unix(s.Expires, 0).UTC().Format(time.RFC3339), s.Persist))
		for _, api := range slices.Sorted(maps.Keys(s.AccessRights)) {
			ar := s.AccessRights[api]
			p.more(fmt.Sprintf("access rights: API %s (%s), versions %s", orDash(api), ar.APIName, strings.Join(ar.Versions, ", ")))
		}
		for _, k := range slices.Sorted(maps.Keys(s.MetaData)) {
			p.more(fmt.Sprintf("metadata %s: %v", k, s.MetaData[k]))
		}
		for _, h := range slices.Sorted(maps.Keys(s.UpstreamHeaders)) {
			p.more(fmt.Sprintf("upstream header %s: %s", h, s.UpstreamHeaders[h]))
		}
		if len(s.RemovedHeaders) > 0 {
			p.more("removed before the upstream: " + strings.Join(s.RemovedHeaders, ", "))
		}
	}
	for _, l := range r.Log {
		attrs := make([]string, 0, len(l.Attrs))
		for _, k := range slices.Sorted(maps.Keys(l.Attrs)) {
			attrs = append(attrs, k+"="+l.Attrs[k])
		}
		p.field("plugin log", strings.TrimSpace(l.Level+" "+l.Message+" "+strings.Join(attrs, " ")))
	}
	v := r.Verdict
	answer := "not served (the gateway does not load this API)"
	if v.Status != 0 {
		answer = fmt.Sprintf("%d %s (%s)", v.Status, http.StatusText(v.Status), v.Outcome)
	}
	p.field("verdict", answer)
	p.more("reason: " + v.Reason)
	if v.Step != "" && !r.Granted() {
		p.more("failed at: " + v.Step)
	}
	if v.Advice != "" {
		p.more("advice: " + v.Advice)
	}
	return p.err
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) line(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format+"\n", args...)
	}
}

const fieldWidth = 12

func (p *printer) field(name, value string) {
	p.line("%-*s %s", fieldWidth, name, value)
}

func (p *printer) more(value string) {
	p.line("%-*s %s", fieldWidth, "", value)
}

func (p *printer) step(s Step) {
	status := "ok"
	if !s.OK {
		status = "FAIL"
	}
	where := ""
	if s.Server != "" {
		where = s.Server + "  "
	}
	p.line("%-4s  %-13s %9.1f ms  %s%s", status, s.Name, s.TookMS, where, s.Detail)
	indent := strings.Repeat(" ", 34)
	for i, c := range s.Certificates {
		names := append(append([]string{}, c.DNSNames...), c.IPs...)
		p.line("%scertificate %d: %s, issued by %s, names [%s], valid %s to %s", indent, i, c.Subject, c.Issuer, strings.Join(names, ", "), c.NotBefore, c.NotAfter)
	}
	if len(s.Entries) > 0 && s.Name != "groups" {
		p.line("%sfound: %s", indent, strings.Join(s.Entries, "; "))
	}
	for _, n := range s.Notes {
		p.line("%s%s", indent, n)
	}
	if s.Error != "" {
		p.line("%serror: %s", indent, s.Error)
	}
	if s.Advice != "" {
		p.line("%sadvice: %s", indent, s.Advice)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
