package ldapauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/state"
)

// Revocation: one directory watch per directory in the process, shared by
// every gate on that directory; each gate's cache subscribes to it and
// drops the decisions a change touches. The watch is made when the first
// gate on a directory is built and closed when the last one closes.

// watchSet holds the live watches by directory.
type watchSet struct {
	mu      sync.Mutex
	watches map[string][]*sharedWatch
	// OnEvent, when set, is passed to every watch (metrics).
	onEvent func(mechanism directory.Mechanism, resync bool, keys int)
}

type sharedWatch struct {
	tls     directory.TLSOptions
	watcher *directory.Watcher
	users   int
}

// watchIdentity is what makes two configurations share a watch: the same
// servers, service account, bases and watch settings (TLS is compared
// separately: a CA pool is not a map key).
func watchIdentity(cfg *Config) string {
	o := &cfg.Directory
	pw := sha256.Sum256([]byte(o.BindPassword.Reveal()))
	return fmt.Sprintf("%s|%q|%s|%q|%v|%s|%s", directoryScope(cfg), o.WatchBases(), o.BindDN, hex.EncodeToString(pw[:8]),
		o.StartTLS, cfg.RevocationWatch, cfg.RevocationPollInterval)
}

func sameTLS(a, b directory.TLSOptions) bool {
	if a.ServerName != b.ServerName || a.InsecureSkipVerify != b.InsecureSkipVerify || a.MinVersion != b.MinVersion {
		return false
	}
	if a.RootCAs == nil || b.RootCAs == nil {
		return a.RootCAs == b.RootCAs
	}
	return a.RootCAs.Equal(b.RootCAs)
}

// acquire returns the watch for cfg's directory, starting it if needed,
// and the function that gives it back.
func (s *watchSet) acquire(cfg *Config, log *slog.Logger) (*directory.Watcher, func(), error) {
	id := watchIdentity(cfg)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.watches == nil {
		s.watches = map[string][]*sharedWatch{}
	}
	var sw *sharedWatch
	for _, have := range s.watches[id] {
		if sameTLS(have.tls, cfg.Directory.TLS) {
			sw = have
			break
		}
	}
	if sw == nil {
		mode := directory.WatchAuto
		if cfg.RevocationWatch == RevocationPoll {
			mode = directory.WatchPoll
		}
		opts := cfg.Directory
		opts.Logger = log
		w, err := directory.NewWatcher(opts, directory.WatchOptions{Mode: mode, PollInterval: cfg.RevocationPollInterval, OnEvent: s.onEvent})
		if err != nil {
			return nil, nil, err
		}
		sw = &sharedWatch{tls: cfg.Directory.TLS, watcher: w}
		s.watches[id] = append(s.watches[id], sw)
	}
	sw.users++
	var once sync.Once
	return sw.watcher, func() {
		once.Do(func() {
			s.mu.Lock()
			sw.users--
			last := sw.users == 0
			if last {
				list := s.watches[id]
				for i, have := range list {
					if have == sw {
						s.watches[id] = append(list[:i], list[i+1:]...)
						break
					}
				}
				if len(s.watches[id]) == 0 {
					delete(s.watches, id)
				}
			}
			s.mu.Unlock()
			if last {
				sw.watcher.Close()
			}
		})
	}, nil
}

// cacheSink lets a watch evict from a gate's cache, and tells it the
// servers the gate's directory uses now.
type cacheSink struct {
	cache *state.Cache[*Grant]
	dir   Authenticator
}

func (s cacheSink) CurrentServers(ctx context.Context) ([]directory.Server, error) {
	if src, ok := s.dir.(directory.ServerSource); ok {
		return src.CurrentServers(ctx)
	}
	return nil, nil
}

func (s cacheSink) Changed(keys []string) { s.cache.Evict(keys) }
func (s cacheSink) Resync()               { s.cache.EvictAll() }
func (s cacheSink) Tracked() []string {
	var dns []string
	for _, k := range s.cache.IndexKeys() {
		if dn, ok := directory.TrackedDN(k); ok {
			dns = append(dns, dn)
		}
	}
	return dns
}

// watch subscribes g's cache to its directory's watch. It logs, and
// leaves the gate unwatched, when the watch cannot be made.
func (reg *Registry) watch(g *Gate, log *slog.Logger) {
	w, release, err := reg.watches.acquire(g.cfg, reg.log)
	if err != nil {
		log.Error("cannot watch the directory for revocations; cached decisions live their full cache_ttl", "key", "revocation_watch", "error", err.Error())
		return
	}
	unsubscribe := w.Subscribe(cacheSink{cache: g.cache, dir: g.dir})
	g.watcher = w
	prev := g.release
	g.release = func() {
		unsubscribe()
		release()
		if prev != nil {
			prev()
		}
	}
}

// Watched reports whether a live directory watch evicts this gate's
// decisions right now.
func (g *Gate) Watched() bool { return g.watcher != nil && g.watcher.Live() }
