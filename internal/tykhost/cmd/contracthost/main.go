// Command contracthost serves API definitions through the tykhost contract
// host: it loads the Go plugin each custom-auth API names, reads classic and
// Tyk OAS API definition files and policy files, and listens on an address.
// It is a test and demo tool, not a gateway.
//
//	contracthost -listen 127.0.0.1:8080 -plugin ./ldapauth.so \
//	    -api testdata/classic-ldap.json -api testdata/oas-ldap.json \
//	    -policy testdata/policies.json
//
// GET /hello answers 200 when up; GET or POST /tyk/reload re-reads every
// file (with -secret set, the x-tyk-authorization header must match it).
package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/TykTechnologies/tyk/log"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost/otelsetup"
)

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

type config struct {
	listen, plugin, secret, logLevel string
	otel                             otelsetup.Config
	apis, policies                   listFlag
	opts                             tykhost.Options
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("contracthost", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.listen, "listen", "127.0.0.1:8080", "address to serve on")
	fs.StringVar(&c.plugin, "plugin", "", "if set, replaces the auth_check path of every API that has one")
	fs.StringVar(&c.secret, "secret", "", "if set, /tyk/reload requires this x-tyk-authorization header")
	fs.StringVar(&c.logLevel, "log-level", "info", "gateway log level: debug, info, warn or error")
	fs.Var(&c.apis, "api", "API definition file, classic or Tyk OAS (repeatable)")
	fs.Var(&c.policies, "policy", "policy file: one policy, an id->policy map, or a list (repeatable)")
	fs.BoolVar(&c.opts.HashKeys, "hash-keys", false, "the gateway's hash_keys")
	fs.Int64Var(&c.opts.GlobalSessionLifetime, "global-session-lifetime", 0, "the gateway's global_session_lifetime, in seconds")
	fs.BoolVar(&c.opts.ForceGlobalSessionLifetime, "force-global-session-lifetime", false, "the gateway's force_global_session_lifetime")
	fs.BoolVar(&c.opts.SessionLifetimeRespectsKeyExpiration, "session-lifetime-respects-key-expiration", false,
		"the gateway's session_lifetime_respects_key_expiration")
	fs.StringVar(&c.opts.GatewayVersion, "gateway-version", tykhost.DefaultGatewayVersion, "version used for name_vX.Y.Z_os_arch.so lookups")
	fs.StringVar(&c.otel.Endpoint, "otel-endpoint", "",
		"if set, OpenTelemetry as tyk.conf opentelemetry.enabled with exporter \"http\": every API in a server span, exported as OTLP/HTTP to this base URL (e.g. http://127.0.0.1:4318)")
	fs.StringVar(&c.otel.ResourceName, "otel-resource-name", "tyk-gateway", "opentelemetry.resource_name")
	tykConf := fs.String("tyk-conf", "", "tyk.conf whose storage (Redis) and http_server_options.xff_depth the gateway publishes to plugins")
	panicMode := fs.String("panic-mode", string(tykhost.PanicRecover), `plugin panic behaviour: "5.8" (recover) or "5.12+" (drop the connection)`)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch m := tykhost.PanicMode(*panicMode); m {
	case tykhost.PanicRecover, tykhost.PanicDropConnection:
		c.opts.PanicMode = m
	default:
		return c, fmt.Errorf("unknown -panic-mode %q", *panicMode)
	}
	if len(c.apis) == 0 {
		return c, errors.New("at least one -api file is needed")
	}
	if *tykConf != "" {
		gw, err := readTykConf(*tykConf)
		if err != nil {
			return c, err
		}
		c.opts.Storage, c.opts.XFFDepth = gw.Storage, gw.HttpServerOptions.XFFDepth
	}
	return c, nil
}

// server is the running contract host plus what reload needs.
type server struct {
	cfg  config
	host *tykhost.Host
	mu   sync.Mutex // serialises reloads
}

// load (re)reads every file into the host.
func (s *server) load() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	apis, err := readAPIs(s.cfg.apis, s.cfg.plugin)
	if err != nil {
		return err
	}
	pols, err := readPolicies(s.cfg.policies)
	if err != nil {
		return err
	}
	s.host.Policies().Replace(pols)
	if err := s.host.Load(apis); err != nil {
		return err
	}
	for _, d := range apis.Classic {
		s.report(d.APIID, d.Proxy.ListenPath)
	}
	for _, o := range apis.OAS {
		if x := o.GetTykExtension(); x != nil {
			s.report(x.Info.ID, x.Server.ListenPath.Value)
		}
	}
	return nil
}

func (s *server) report(apiID, listenPath string) {
	entry := log.Get().WithField("api_id", apiID).WithField("listen_path", listenPath)
	if err := s.host.PluginError(apiID); err != nil {
		entry.WithError(err).Warn("API loaded; its plugin did not load, so it answers 500")
		return
	}
	entry.Info("API loaded")
}

func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"pass","description":"contract host"}`)
	})
	mux.HandleFunc("/tyk/reload", s.reload)
	mux.HandleFunc("/tyk/reload/group", s.reload)
	mux.Handle("/", s.host)
	return mux
}

func (s *server) reload(w http.ResponseWriter, r *http.Request) {
	if s.cfg.secret != "" &&
		subtle.ConstantTimeCompare([]byte(r.Header.Get("x-tyk-authorization")), []byte(s.cfg.secret)) != 1 {
		http.Error(w, `{"status":"error","message":"Attempted administrative access with invalid or missing key!"}`, http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if err := s.load(); err != nil {
		log.Get().WithError(err).Error("reload failed")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = fmt.Fprintf(w, `{"status":"error","message":%q}`, err.Error())
		return
	}
	_, _ = io.WriteString(w, `{"status":"ok","message":""}`)
}

func run(args []string, stderr io.Writer, stop <-chan os.Signal) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	level, err := logrus.ParseLevel(cfg.logLevel)
	if err != nil {
		return err
	}
	log.Get().SetLevel(level)
	log.Get().SetOutput(stderr)
	if cfg.otel.Endpoint != "" {
		tp, err := otelsetup.Setup(cfg.otel)
		if err != nil {
			return err
		}
		cfg.opts.OpenTelemetry = true
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = tp.Shutdown(ctx)
		}()
	}
	s := &server{cfg: cfg, host: tykhost.New(cfg.opts)}
	if err := s.load(); err != nil {
		return err
	}
	srv := &http.Server{Addr: cfg.listen, Handler: s.handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Get().WithField("listen", cfg.listen).Info("contract host serving")
	select {
	case err := <-errc:
		return err
	case <-stop:
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(ctx)
	}
}

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	if err := run(os.Args[1:], os.Stderr, stop); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "contracthost:", err)
		os.Exit(1)
	}
}
