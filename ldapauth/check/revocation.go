package check

import (
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
)

// revocationStep is the "revocation watch" step: which mechanism the
// directory offers for following changes, and whether a watch with this
// configuration went live. It does not change the verdict: without a watch
// the gateway still answers, with decisions living their cache_ttl.
func revocationStep(cfg *ldapauth.Config) Step {
	step := Step{Name: "revocation watch"}
	switch {
	case cfg.RevocationWatch == ldapauth.RevocationOff:
		step.OK, step.Detail = true, "off (revocation_watch): cached decisions live their full cache_ttl"
		return step
	case cfg.Directory.BindDN == "":
		step.OK, step.Detail = true, "none: a watch needs a service account (bind_dn); cached decisions live their full cache_ttl"
		return step
	case !cfg.Watches():
		step.OK, step.Detail = true, "none: nothing is cached (cache_ttl and negative_cache_ttl are 0)"
		return step
	}
	start := time.Now()
	mode := directory.WatchAuto
	if cfg.RevocationWatch == ldapauth.RevocationPoll {
		mode = directory.WatchPoll
	}
	wopts := directory.WatchOptions{Mode: mode, PollInterval: cfg.RevocationPollInterval}
	if cfg.Directory.Discovery != nil {
		// The servers found through DNS, as the gateway's watch uses them.
		dir, err := directory.New(cfg.Directory)
		if err != nil {
			step.Error = err.Error()
			return step
		}
		defer dir.Close()
		wopts.Servers = dir.CurrentServers
	}
	w, err := directory.NewWatcher(cfg.Directory, wopts)
	if err != nil {
		step.Error = err.Error()
		step.Advice = "set revocation_watch to \"off\", or fix the configuration"
		return step
	}
	defer w.Close()
	deadline := start.Add(cfg.Directory.DialTimeout + 2*cfg.Directory.RequestTimeout)
	for !w.Live() && w.LastError() == "" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond) // polling the watch's state
	}
	caps := w.Capabilities()
	offered := "the directory offers:"
	for _, c := range []struct {
		on   bool
		name string
	}{{caps.Syncrepl, " content synchronisation (RFC 4533)"}, {caps.DirSync, " DirSync"}, {caps.Notification, " change notification"}} {
		if c.on {
			offered += c.name
		}
	}
	if offered == "the directory offers:" {
		offered += " no push mechanism; changes are found by polling"
	}
	step.Notes = append(step.Notes, offered)
	step.TookMS = millis(time.Since(start))
	if w.Live() {
		step.OK = true
		step.Detail = "live with " + string(w.Mechanism()) + ": a password change, lock, delete or group change ends cached decisions within about two seconds"
		return step
	}
	step.Detail = "not live (tried " + string(w.Mechanism()) + "): cached decisions would live their full cache_ttl until it starts"
	step.Error = w.LastError()
	if step.Error == "" {
		step.Error = "the watch did not start within dial_timeout + 2 × request_timeout"
	}
	step.Advice = "let the service account read the entries under the user and group bases, or set revocation_watch to \"off\" and keep cache_ttl short"
	return step
}
