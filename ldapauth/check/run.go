package check

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
)

// Options is one check: a file, the credentials, and what the command line
// replaces in the file's configuration.
type Options struct {
	// File names the checked file in the report; Data is its content.
	File string
	Data []byte
	// Username and Password are the credentials checked, as a client would
	// send them in an Authorization: Basic header.
	Username string
	Password string
	// URLs, when not empty, replace the configuration's urls.
	URLs []string
	// CAFile, when set, replaces tls_ca_file and removes tls_ca_pem.
	CAFile string
}

// The message the gateway logs for each configuration error, and answers
// every request with 500 for.
const configErrorReason = "invalid plugin configuration; requests to this API are answered 500 until it is fixed"

// Run checks the credentials with the file's configuration against the
// directory, exactly once, and reports every step. It reads the process
// environment as the gateway reads its own: env:// substitution in the
// file, env:// and file:// secrets in the configuration.
func Run(opts Options) *Report {
	p, done := Prepare(opts)
	if done != nil {
		return done
	}
	return p.Run(opts.Password)
}

// Prepared is a check whose file and configuration passed the gateway's
// validation: only the password is missing.
type Prepared struct {
	report *Report
	src    *Source
	cfg    *ldapauth.Config
	raw    map[string]any
	opts   Options
}

// Prepare runs the steps that need no password: reading the file and the
// gateway's validation of its configuration. When either fails it returns
// the final report instead, so a command can refuse a broken file before
// asking anyone for a password. opts.Password is ignored.
func Prepare(opts Options) (*Prepared, *Report) {
	opts.Password = ""
	r := &Report{
		Schema: SchemaVersion, File: opts.File, Username: opts.Username,
		Steps: []Step{}, ConfigErrors: []ConfigProblem{}, Groups: []Group{}, Policies: []string{}, Log: []LogLine{},
	}
	r.Source.Warnings, r.Source.Overrides = []string{}, []string{}
	src, ok := r.readDefinition(opts)
	if !ok {
		return nil, r
	}
	cfg, raw, ok := r.parseConfig(src, opts)
	if !ok {
		return nil, r
	}
	return &Prepared{report: r, src: src, cfg: cfg, raw: raw, opts: opts}, nil
}

// Run checks password against the directory and completes the report. A
// Prepared check runs once.
func (p *Prepared) Run(password string) *Report {
	opts := p.opts
	opts.Password = password
	p.report.decide(p.src, p.cfg, p.raw, opts)
	return p.report
}

// readDefinition is the "definition" step: what the gateway loads.
func (r *Report) readDefinition(opts Options) (*Source, bool) {
	start := time.Now()
	src, err := ReadSource(opts.Data, os.Getenv)
	step := Step{Name: "definition"}
	if err != nil {
		step.Error = err.Error()
		step.Advice = "fix the file: the gateway cannot load this API, so requests to its listen path are not served at all"
		step.TookMS = millis(time.Since(start))
		r.Steps = append(r.Steps, step)
		r.Verdict = Verdict{Status: 0, Outcome: "not loaded", Reason: err.Error(), Advice: step.Advice, Step: step.Name}
		return nil, false
	}
	r.Source = SourceReport{
		Kind: src.Kind, APIID: src.API.ID, OrgID: src.API.OrgID, APIName: src.API.Name, ConfigPath: src.ConfigPath,
		Warnings: append([]string{}, src.Warnings...), Overrides: []string{},
	}
	step.OK = true
	step.Detail = describeSource(src)
	for _, name := range src.Env.Replaced {
		step.Notes = append(step.Notes, "env://"+name+" replaced by the value of "+name+", as the gateway does when it loads the definition")
	}
	for _, name := range src.Env.Left {
		step.Notes = append(step.Notes, "env://"+name+" left as written: "+name+" is not set (or empty) in this environment")
	}
	for _, w := range src.Warnings {
		step.Notes = append(step.Notes, "warning: "+w)
	}
	step.TookMS = millis(time.Since(start))
	r.Steps = append(r.Steps, step)
	return src, true
}

func describeSource(src *Source) string {
	switch src.Kind {
	case KindConfig:
		return "a bare plugin configuration, read as the config_data of an API"
	case KindOAS:
		return "Tyk OAS API definition " + quoteName(src.API.Name) + " (id " + src.API.ID + ", org " + src.API.OrgID + "); plugin configuration in " + src.ConfigPath
	}
	return "classic API definition " + quoteName(src.API.Name) + " (api_id " + src.API.ID + ", org_id " + src.API.OrgID + "); plugin configuration in " + src.ConfigPath
}

func quoteName(s string) string { return `"` + s + `"` }

// parseConfig is the "config" step: the gateway's own validation of the
// configuration, after the command line's overrides (raw).
func (r *Report) parseConfig(src *Source, opts Options) (*ldapauth.Config, map[string]any, bool) {
	start := time.Now()
	step := Step{Name: "config"}
	fail := func(problems []ConfigProblem, advice string) {
		r.ConfigErrors = problems
		for i, p := range problems {
			if i > 0 {
				step.Error += "; "
			}
			step.Error += (&ldapauth.ConfigError{Key: p.Key, Problem: p.Problem}).Error()
		}
		step.Advice = advice
		step.TookMS = millis(time.Since(start))
		r.Steps = append(r.Steps, step)
		r.Verdict = Verdict{Status: http.StatusInternalServerError, Outcome: ldapauth.OutcomeMisconfigured.String(),
			Reason: configErrorReason, Advice: advice, Step: step.Name}
	}
	if src.Unsupported != nil {
		fail([]ConfigProblem{{Key: src.Unsupported.Key, Problem: src.Unsupported.Problem}}, "remove "+src.Unsupported.Key+" from the API definition")
		return nil, nil, false
	}
	if src.DisabledBy != "" {
		fail([]ConfigProblem{{Key: src.DisabledBy, Problem: "the plugin configuration is disabled; enable it to use LDAP authentication"}},
			disabledAdvice(src.DisabledBy))
		return nil, nil, false
	}
	raw := maps.Clone(src.Config)
	if raw == nil {
		raw = map[string]any{}
	}
	r.Source.Overrides = applyOverrides(raw, opts)
	cfg, err := ldapauth.ParseConfig(raw)
	if err != nil {
		problems := configProblems(err)
		step.Detail = fmt.Sprintf("the gateway's validation found %d problem(s)", len(problems))
		fail(problems, "fix every key listed (the gateway logs the same errors when it loads the API)")
		return nil, nil, false
	}
	step.OK = true
	step.Detail = describeConfig(cfg)
	written := writtenConfig(opts.Data)
	for _, k := range r.Source.Overrides {
		step.Notes = append(step.Notes, k+" replaced from the command line")
	}
	step.Notes = append(step.Notes, secretNotes(written, src.Env)...)
	step.Notes = append(step.Notes, caNotes(cfg, raw)...)
	step.Notes = append(step.Notes, plaintextNotes(cfg)...)
	if !cfg.HideCredentials {
		step.Notes = append(step.Notes, "hide_credentials is false: the upstream receives the client's Authorization header, unless the API's strip_auth_data (Tyk OAS: stripAuthorizationData) removes it")
	}
	if cfg.MaxFailures > 0 || cfg.MaxFailuresPerClient > 0 {
		step.Notes = append(step.Notes, "failure counts start empty in this check: an account or client the gateway is throttling now would get 429 there"+
			sharedStateNote(cfg))
	}
	step.TookMS = millis(time.Since(start))
	r.Steps = append(r.Steps, step)
	return cfg, raw, true
}

func disabledAdvice(key string) string {
	switch key {
	case "config_data_disabled":
		return "set config_data_disabled to false"
	case "middleware.global.pluginConfig.data.enabled":
		return "set x-tyk-api-gateway.middleware.global.pluginConfig.data.enabled to true"
	case "middleware.global.pluginConfig.data":
		return "add x-tyk-api-gateway.middleware.global.pluginConfig.data with enabled: true and the plugin configuration as value"
	}
	return "add the x-tyk-api-gateway extension with the plugin configuration"
}

// configProblems splits ParseConfig's joined error into its problems.
func configProblems(err error) []ConfigProblem {
	errs := []error{err}
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		errs = joined.Unwrap()
	}
	out := make([]ConfigProblem, 0, len(errs))
	for _, e := range errs {
		var ce *ldapauth.ConfigError
		if errors.As(e, &ce) {
			out = append(out, ConfigProblem{Key: ce.Key, Problem: ce.Problem})
		} else {
			out = append(out, ConfigProblem{Key: "config_data", Problem: e.Error()})
		}
	}
	return out
}

// decide runs the gateway's Gate on a request carrying the credentials.
func (r *Report) decide(src *Source, cfg *ldapauth.Config, raw map[string]any, opts Options) {
	logs := &logCapture{}
	log := logs.logger()
	// The same logger and directory options NewGate would use.
	dopts := cfg.Directory
	dopts.Logger = log.With("api_id", src.API.ID, "api_name", src.API.Name)
	dir, err := directory.New(dopts)
	if err == nil {
		traced := &tracedDirectory{dir: dir, rec: &recorder{}}
		var gate *ldapauth.Gate
		gate, err = ldapauth.NewGate(src.API, cfg, ldapauth.GateOptions{Logger: log, Directory: traced})
		if err == nil {
			defer gate.Close()
			r.checkRequest(src, cfg, gate, traced, logs, &adviceContext{cfg: cfg, username: opts.Username, caSource: caSource(raw)}, opts)
			return
		}
		dir.Close()
	}
	// The registry reports a gate it cannot build under config_data.
	r.ConfigErrors = []ConfigProblem{{Key: "config_data", Problem: err.Error()}}
	r.Steps = append(r.Steps, Step{Name: "decision", Error: (&ldapauth.ConfigError{Key: "config_data", Problem: err.Error()}).Error(),
		Advice: "fix the configuration so the directory client can be built"})
	r.Verdict = Verdict{Status: http.StatusInternalServerError, Outcome: ldapauth.OutcomeMisconfigured.String(),
		Reason: configErrorReason, Advice: "fix the configuration so the directory client can be built", Step: "decision"}
}

func (r *Report) checkRequest(src *Source, cfg *ldapauth.Config, gate *ldapauth.Gate, traced *tracedDirectory, logs *logCapture, ac *adviceContext, opts Options) {
	req := newRequest(opts.Username, opts.Password)
	start := time.Now()
	res := gate.Check(req)
	took := time.Since(start)

	steps, blamed := convertSteps(traced.rec.list(), ac, traced.err)
	var dnsFailed *Step
	if cfg.Directory.Discovery != nil {
		dns := dnsStep(cfg, traced.dir, answeredBy(traced))
		r.Steps = append(r.Steps, dns)
		if !dns.OK {
			dnsFailed = &dns
		}
	}
	r.Steps = append(r.Steps, steps...)
	r.Log = logs.snapshot()
	if id := traced.id; id != nil {
		r.Identity = &Identity{Username: id.Username, DN: id.DN, UniqueID: id.ID, Attributes: id.Attributes}
		for _, g := range id.Groups {
			r.Groups = append(r.Groups, Group{Name: g.Name, DN: g.DN})
		}
		r.Access = describeAccess(cfg, id, res.Outcome != ldapauth.OutcomeForbidden)
	}

	status := res.Outcome.Status()
	if res.Outcome == ldapauth.OutcomeGranted {
		status = http.StatusOK
	}
	v := Verdict{Status: status, Outcome: res.Outcome.String(), Reason: logs.decisionReason()}
	switch {
	case res.Outcome == ldapauth.OutcomeGranted:
		r.Policies = append(r.Policies, res.Grant.Policies...)
		r.Session = sessionOf(src, cfg, gate, req, res)
		v.Reason = "the credentials are right and the access rules allow " + res.Grant.Identity.Username
	case res.Outcome == ldapauth.OutcomeForbidden && r.Access != nil:
		v.Advice = r.Access.Because
		v.Step = "access"
	case dnsFailed != nil && res.Outcome == ldapauth.OutcomeUnavailable:
		v.Advice, v.Step = dnsFailed.Advice, dnsFailed.Name
	case blamed >= 0:
		v.Advice, v.Step = steps[blamed].Advice, steps[blamed].Name
	case len(steps) == 0 && res.Outcome == ldapauth.OutcomeUnauthorized:
		v.Advice = "the gateway refuses these credentials before asking the directory (" + strings.TrimPrefix(v.Reason, "credentials rejected: ") + ")"
	}
	if v.Reason == "" {
		v.Reason = res.Outcome.String()
	}
	// The whole Gate.Check, directory round trips included; the verdict
	// carries its reason and advice.
	decision := Step{Name: "decision", OK: status == http.StatusOK, Detail: "the gateway's answer: " + statusText(status), TookMS: millis(took)}
	if before, _, found := strings.Cut(opts.Username, ":"); found {
		decision.Notes = append(decision.Notes, fmt.Sprintf("the username holds a colon: HTTP Basic cannot carry it, the gateway reads the username %q and the rest as part of the password", before))
	}
	r.Steps = append(r.Steps, decision, revocationStep(cfg))
	r.Verdict = v
	if r.Identity != nil && (res.Outcome == ldapauth.OutcomeGranted || res.Outcome == ldapauth.OutcomeForbidden) {
		r.checkSelfEdit(cfg, traced.dir, opts.Password)
	}
}

// checkSelfEdit warns when the directory lets the user change their own
// username_attribute: set to another user's value, it makes that user's
// logins answer 500 (the plugin refuses to tell two entries with one
// username apart) or, where the directory does not keep the value unique,
// lets the user pass for the other one. Nothing is reported when the
// directory refuses the change or its answer tells nothing.
func (r *Report) checkSelfEdit(cfg *ldapauth.Config, dir *directory.Directory, password string) {
	attr := cfg.Directory.UsernameAttribute
	start := time.Now()
	writable, err := dir.OwnAttributeWritable(context.Background(), r.Identity.DN, password, attr)
	if err != nil || !writable {
		return
	}
	r.Steps = append(r.Steps, Step{
		Name: "self edit", Detail: fmt.Sprintf("whether %s may change %s on its own entry (a change that cannot succeed was tried; nothing changed)", r.Identity.DN, attr),
		TookMS: millis(time.Since(start)),
		Error:  fmt.Sprintf("the directory lets the user change their own %s", attr),
		Advice: fmt.Sprintf("restrict write access to %s to administrators: a user who sets it to another user's value makes that user's logins answer 500", attr),
	})
}

// answeredBy is the server that gave the directory's answer, if one did.
func answeredBy(t *tracedDirectory) string {
	if t.id != nil {
		return t.id.Server
	}
	if de, ok := directory.AsError(t.err); ok {
		return de.Server
	}
	return ""
}

func statusText(status int) string {
	return strconv.Itoa(status) + " " + http.StatusText(status)
}

// newRequest is what a client sends: the credentials in the Authorization
// header, nothing else the plugin looks at.
func newRequest(username, password string) *http.Request {
	req, _ := http.NewRequest(http.MethodGet, "http://gateway.invalid/", nil)
	req.SetBasicAuth(username, password)
	return req
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
