package ldapauth

import (
	"net/http"
	"strconv"
	"time"
)

// Outcome is the decision for one request.
type Outcome int

const (
	// OutcomeGranted: write nothing, set the session, let the request through.
	OutcomeGranted Outcome = iota
	// OutcomeUnauthorized: 401 with WWW-Authenticate (missing, malformed or
	// wrong credentials). The client may retry with other credentials.
	OutcomeUnauthorized
	// OutcomeForbidden: 403, the credentials are right but the access rules
	// refuse the user. No WWW-Authenticate: other credentials of the same
	// user would not help.
	OutcomeForbidden
	// OutcomeThrottled: 429 with Retry-After, too many wrong passwords.
	OutcomeThrottled
	// OutcomeUnavailable: 503, no directory server could be reached.
	OutcomeUnavailable
	// OutcomeMisconfigured: 500, the API's plugin configuration is broken.
	OutcomeMisconfigured
	// OutcomeBusy: 503 with Retry-After, every pooled directory connection
	// stayed busy; cached successes are not served stale for it.
	OutcomeBusy
)

var outcomeNames = [...]string{"granted", "unauthorized", "forbidden", "throttled", "unavailable", "misconfigured", "busy"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "unknown"
}

// Status is the HTTP status the outcome is answered with (0 for granted:
// the plugin writes nothing and the gateway continues).
func (o Outcome) Status() int {
	switch o {
	case OutcomeUnauthorized:
		return http.StatusUnauthorized
	case OutcomeForbidden:
		return http.StatusForbidden
	case OutcomeThrottled:
		return http.StatusTooManyRequests
	case OutcomeUnavailable, OutcomeBusy:
		return http.StatusServiceUnavailable
	case OutcomeMisconfigured:
		return http.StatusInternalServerError
	}
	return 0
}

// Bodies in Tyk's error style. They say what happened in general terms; the
// reason (which server, which LDAP result) only goes to the log.
var (
	bodyMissing       = jsonError("Authorization field missing")
	bodyMalformed     = jsonError("Attempted access with malformed header, header not in basic auth format")
	bodyUnauthorized  = jsonError("Invalid username or password")
	bodyForbidden     = jsonError("Access to this API has been disallowed")
	bodyThrottled     = jsonError("Too many failed login attempts for this user, try again later")
	bodyUnavailable   = jsonError("Authentication service unavailable, try again later")
	bodyMisconfigured = jsonError("Authentication is misconfigured for this API")
	jsonContentType   = []string{"application/json"}
)

func jsonError(msg string) []byte { return []byte(`{"error": "` + msg + `"}` + "\n") }

// WriteDenial answers a request that is not granted. It is the only place
// the plugin writes a response: Tyk passes whatever is written with a status
// of 400 or more to the client unchanged and stops the request there.
func (g *Gate) WriteDenial(w http.ResponseWriter, res Result) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	var body []byte
	switch res.Outcome {
	case OutcomeUnauthorized:
		h["Www-Authenticate"] = g.challenge
		body = bodyUnauthorized
		switch res.credErr {
		case ErrNoCredentials:
			body = bodyMissing
		case nil:
		default:
			body = bodyMalformed
		}
	case OutcomeForbidden:
		body = bodyForbidden
	case OutcomeThrottled:
		h["Retry-After"] = []string{retryAfterSeconds(res.RetryAfter)}
		body = bodyThrottled
	case OutcomeUnavailable:
		body = bodyUnavailable
	case OutcomeBusy:
		h["Retry-After"] = []string{retryAfterSeconds(res.RetryAfter)}
		body = bodyUnavailable
	default:
		body = bodyMisconfigured
	}
	w.WriteHeader(res.Outcome.Status())
	_, _ = w.Write(body)
}

// retryAfterSeconds rounds up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(max(int((d+time.Second-1)/time.Second), 1))
}

// WriteMisconfigured answers 500 without needing a Gate (there is none when
// the configuration does not parse).
func WriteMisconfigured(w http.ResponseWriter) {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write(bodyMisconfigured)
}
