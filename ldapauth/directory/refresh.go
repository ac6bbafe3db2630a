package directory

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// discovered is a server list found through DNS and kept fresh by one
// goroutine per Directory, which lives until Close. Requests only read the
// current list: they never wait for DNS, except for the very first lookup
// after the Directory was built. The list is looked up again when its TTL
// runs out and soon after a server failed; while a lookup fails the last
// good list keeps serving. A server that disappears from DNS is drained:
// no new request picks it, its idle connections are closed at once and
// its busy ones when they are returned.
type discovered struct {
	opts     DiscoveryOptions
	startTLS bool
	client   *dnsClient
	build    func(Server) *endpoint // a new endpoint with its pools
	log      *slog.Logger

	current atomic.Pointer[serverList]
	ready   chan struct{} // closed when the first lookup has ended
	nudge   chan struct{} // a server failed: look up again soon
	cancel  context.CancelFunc
	done    chan struct{}

	mu      sync.Mutex
	lastErr error // of the latest lookup, nil after a success

	skipped     []string // of the latest resolution, to log a change once
	siteFailing bool     // the latest AutoSite ping got no answer
}

// serverList is one adopted resolution with an endpoint per server.
type serverList struct {
	res       *Resolution
	endpoints []*endpoint
}

func startDiscovery(opts Options, build func(Server) *endpoint) *discovered {
	ctx, cancel := context.WithCancel(context.Background())
	s := &discovered{
		opts:     *opts.Discovery,
		startTLS: opts.StartTLS,
		client:   newDNSClient(opts),
		build:    build,
		log:      opts.Logger.With("domain", opts.Discovery.Domain),
		ready:    make(chan struct{}),
		nudge:    make(chan struct{}, 1),
		cancel:   cancel,
		done:     make(chan struct{}),
	}
	go s.run(ctx)
	return s
}

// endpoints returns the current list. Before the first lookup has ended it
// waits for it, as long as ctx allows.
func (s *discovered) endpoints(ctx context.Context) ([]*endpoint, error) {
	if l := s.current.Load(); l != nil {
		return l.endpoints, nil
	}
	select {
	case <-s.ready:
	case <-ctx.Done():
		return nil, unavailable("no directory server found through DNS yet for "+s.opts.Domain, ctx.Err())
	}
	if l := s.current.Load(); l != nil {
		return l.endpoints, nil
	}
	s.stale()
	s.mu.Lock()
	err := s.lastErr
	s.mu.Unlock()
	return nil, unavailable("no directory server found through DNS for "+s.opts.Domain+" (check domain, ad_site and dns_server)", err)
}

// stale asks for a lookup soon, without waiting for it.
func (s *discovered) stale() {
	select {
	case s.nudge <- struct{}{}:
	default:
	}
}

// Resolution returns the resolution serving requests now, or nil.
func (s *discovered) resolution() *Resolution {
	if l := s.current.Load(); l != nil {
		return l.res
	}
	return nil
}

func (s *discovered) run(ctx context.Context) {
	defer close(s.done)
	var backoff time.Duration
	for {
		wait := s.refresh(ctx, &backoff)
		last := time.Now()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-s.nudge:
			t.Stop()
			// A burst of failures costs one lookup, not one each.
			if gap := minRefresh - time.Since(last); gap > 0 {
				t = time.NewTimer(gap)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
		}
	}
}

// refresh looks the servers up once and returns when to look again. A
// panic is logged and treated as a failed lookup: it must never reach the
// gateway, nor end the refreshing.
func (s *discovered) refresh(ctx context.Context, backoff *time.Duration) (next time.Duration) {
	defer func() {
		if r := recover(); r != nil {
			next = s.failed(fmt.Errorf("panic: %v", r), backoff)
		}
		select {
		case <-s.ready:
		default:
			close(s.ready)
		}
	}()
	res, err := resolve(ctx, s.client, s.opts, s.startTLS, rand.IntN)
	if err != nil {
		if ctx.Err() != nil {
			return time.Hour // closing; run returns
		}
		return s.failed(err, backoff)
	}
	*backoff = 0
	s.mu.Lock()
	recovered := s.lastErr != nil && s.current.Load() != nil
	s.lastErr = nil
	s.mu.Unlock()
	if recovered {
		s.log.Info("DNS lookup of the directory servers works again")
	}
	s.adopt(res)
	return res.TTL
}

// failed records a failed lookup, logs it once per run of failures, and
// returns when to try again.
func (s *discovered) failed(err error, backoff *time.Duration) time.Duration {
	s.mu.Lock()
	first := s.lastErr == nil
	s.lastErr = err
	s.mu.Unlock()
	if first {
		if l := s.current.Load(); l != nil {
			s.log.Warn("DNS lookup of the directory servers failed; keeping the last list until it works again",
				"servers", len(l.endpoints), "error", err.Error())
		} else {
			s.log.Error("DNS lookup of the directory servers failed; requests fail until it works (check domain, ad_site and dns_server)",
				"error", err.Error())
		}
	}
	*backoff = min(max(*backoff*2, minRefresh), maxBackoff)
	return *backoff
}

// adopt makes res the list requests use. Servers still listed keep their
// endpoint (pools and health); new ones get one; the others are drained.
func (s *discovered) adopt(res *Resolution) {
	kept := map[string]*endpoint{}
	if old := s.current.Load(); old != nil {
		for _, ep := range old.endpoints {
			kept[serverKey(ep.srv)] = ep
		}
	}
	eps := make([]*endpoint, 0, len(res.Servers))
	var added, removed []string
	for _, srv := range res.Servers {
		k := serverKey(srv)
		if ep, ok := kept[k]; ok {
			eps = append(eps, ep)
			delete(kept, k)
			continue
		}
		eps = append(eps, s.build(srv))
		added = append(added, srv.URL+" ("+srv.Addr+")")
	}
	s.current.Store(&serverList{res: res, endpoints: eps})
	for _, ep := range kept {
		ep.close()
		removed = append(removed, ep.srv.URL+" ("+ep.srv.Addr+")")
	}
	if (res.SiteErr != nil) != s.siteFailing {
		s.siteFailing = res.SiteErr != nil
		if s.siteFailing {
			s.log.Warn("no domain controller told this machine's AD site; using the domain's DCs (set ad_site to name the site)", "error", res.SiteErr.Error())
		} else {
			s.log.Info("domain controllers tell this machine's AD site again", "site", res.Site, "from", res.SiteFrom)
		}
	}
	if len(res.Skipped) > 0 && !slices.Equal(res.Skipped, s.skipped) {
		s.log.Warn("SRV records naming servers outside the domain are ignored", "skipped", res.Skipped)
	}
	s.skipped = res.Skipped
	if len(added) > 0 || len(removed) > 0 {
		slices.Sort(removed)
		order := make([]string, len(eps))
		for i, ep := range eps {
			order[i] = ep.srv.URL
		}
		s.log.Info("directory servers found through DNS", "added", added, "removed", removed, "order", order, "ttl", res.TTL.String(), "site", res.Site)
	}
}

// serverKey tells two discovered servers apart: a target that moved to
// another address is a new server.
func serverKey(s Server) string { return s.URL + "|" + s.Addr }

// close stops the refreshing and closes every endpoint.
func (s *discovered) close() {
	s.cancel()
	<-s.done
	if l := s.current.Load(); l != nil {
		for _, ep := range l.endpoints {
			ep.close()
		}
	}
}
