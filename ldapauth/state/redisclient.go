package state

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/secret"
)

// RedisOptions is how to reach the Redis a fleet of gateways shares: a
// single server, a Redis Cluster, or a Sentinel-managed primary.
type RedisOptions struct {
	// Addrs are host:port pairs: one server, the cluster's seed nodes, or
	// the sentinels.
	Addrs []string
	// Cluster uses the Redis Cluster protocol, even with one seed address.
	Cluster bool
	// MasterName selects Sentinel: the name of the primary the sentinels
	// watch.
	MasterName       string
	SentinelPassword secret.Value
	Username         string
	Password         secret.Value
	DB               int

	// TLS encrypts connections; the CA, client certificate and versions
	// below apply only with it.
	TLS                   bool
	TLSInsecureSkipVerify bool
	CAFile                string // PEM; empty means the system roots
	CertFile, KeyFile     string // client certificate, both or neither
	TLSMinVersion         string // "1.2", "1.3"; empty means 1.2
	TLSMaxVersion         string // empty means the newest
}

// ParseRedisURL reads redis://[user:password@]host:port[/db] or rediss://
// (TLS). The error never repeats the URL, which may carry a password.
func ParseRedisURL(raw string) (RedisOptions, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return RedisOptions{}, errors.New("not a URL")
	}
	var o RedisOptions
	switch u.Scheme {
	case "redis":
	case "rediss":
		o.TLS = true
	default:
		return RedisOptions{}, errors.New("scheme must be redis:// or rediss://")
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return RedisOptions{}, errors.New("has no host")
	}
	if port == "" {
		port = "6379"
	}
	o.Addrs = []string{net.JoinHostPort(host, port)}
	if u.User != nil {
		o.Username = u.User.Username()
		if pw, ok := u.User.Password(); ok {
			o.Password = secret.Value(pw)
		}
	}
	if db := strings.Trim(u.Path, "/"); db != "" {
		n, err := strconv.Atoi(db)
		if err != nil || n < 0 {
			return RedisOptions{}, errors.New("the path must be a database number")
		}
		o.DB = n
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return RedisOptions{}, errors.New("query parameters are not supported")
	}
	return o, nil
}

// NewRedisClient builds a client for o whose every call is bounded by
// timeout (dial, read and write; retries off, so the bound is the call's).
// A call waits at most half of timeout for one of the pool's connections:
// longer is this node's saturation (go-redis's pool timeout, ErrBusy from
// RedisAttempts), told apart from Redis not answering. It connects lazily,
// on the first command. It reads the TLS files o names.
func NewRedisClient(o RedisOptions, timeout time.Duration) (redis.UniversalClient, error) {
	if len(o.Addrs) == 0 {
		return nil, errors.New("no Redis address")
	}
	var dial func(ctx context.Context, network, addr string) (net.Conn, error)
	if o.TLS {
		base, files, err := o.tlsConfig()
		if err != nil {
			return nil, err
		}
		dial = tlsDialer(base, files, timeout)
	}
	const poolSize = 16
	poolTimeout := max(timeout/2, time.Millisecond)
	switch {
	case o.MasterName != "":
		return redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName: o.MasterName, SentinelAddrs: o.Addrs, SentinelPassword: o.SentinelPassword.Reveal(),
			Username: o.Username, Password: o.Password.Reveal(), DB: o.DB, Dialer: dial,
			DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout, ContextTimeoutEnabled: true,
			MaxRetries: -1, PoolSize: poolSize, PoolTimeout: poolTimeout,
		}), nil
	case o.Cluster || len(o.Addrs) > 1:
		return redis.NewClusterClient(&redis.ClusterOptions{
			Addrs: o.Addrs, Username: o.Username, Password: o.Password.Reveal(), Dialer: dial,
			DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout, ContextTimeoutEnabled: true,
			MaxRetries: -1, MaxRedirects: 3, PoolSize: poolSize, PoolTimeout: poolTimeout,
		}), nil
	}
	return redis.NewClient(&redis.Options{
		Addr: o.Addrs[0], Username: o.Username, Password: o.Password.Reveal(), DB: o.DB, Dialer: dial,
		DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout, ContextTimeoutEnabled: true,
		MaxRetries: -1, PoolSize: poolSize, PoolTimeout: poolTimeout,
	}), nil
}

var tlsVersions = map[string]uint16{"1.0": tls.VersionTLS10, "1.1": tls.VersionTLS11, "1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13}

// tlsDialer dials TLS with the current content of the TLS files: each new
// connection gets base with the CA roots and client certificate read
// again if their files changed, and the dialled host as the name to
// verify, so Go's full verification applies (chain and name).
func tlsDialer(base *tls.Config, files *tlsFiles, timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c := base.Clone()
		if c.ServerName == "" {
			if host, _, err := net.SplitHostPort(addr); err == nil {
				c.ServerName = host
			}
		}
		roots, cert := files.current()
		if roots != nil {
			c.RootCAs = roots
		}
		if cert != nil {
			c.Certificates = []tls.Certificate{*cert}
		}
		d := tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout, KeepAlive: 5 * time.Minute}, Config: c}
		return d.DialContext(ctx, network, addr)
	}
}

func (o RedisOptions) tlsConfig() (*tls.Config, *tlsFiles, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: o.TLSInsecureSkipVerify} //nolint:gosec // only when the gateway's ssl_insecure_skip_verify says so
	if o.TLSMinVersion != "" {
		v, ok := tlsVersions[o.TLSMinVersion]
		if !ok {
			return nil, nil, fmt.Errorf("unknown TLS version %q", o.TLSMinVersion)
		}
		c.MinVersion = v
	}
	if o.TLSMaxVersion != "" {
		v, ok := tlsVersions[o.TLSMaxVersion]
		if !ok {
			return nil, nil, fmt.Errorf("unknown TLS version %q", o.TLSMaxVersion)
		}
		c.MaxVersion = v
	}
	files := &tlsFiles{caFile: o.CAFile, certFile: o.CertFile, keyFile: o.KeyFile}
	// Read now, so a missing or broken file is a configuration error.
	if err := files.load(); err != nil {
		return nil, nil, err
	}
	return c, files, nil
}

// tlsFiles are the Redis TLS files, read again at a new connection's
// handshake when their size or modification time changed, so a rotated CA
// or client certificate is used without restarting the gateway. A file
// caught half-written keeps the last good content until it reads whole.
type tlsFiles struct {
	caFile, certFile, keyFile string

	mu        sync.Mutex
	caStamp   fileStamp
	certStamp [2]fileStamp
	roots     *x509.CertPool
	cert      *tls.Certificate
}

type fileStamp struct {
	size int64
	mod  time.Time
}

func stampOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{size: fi.Size(), mod: fi.ModTime()}, nil
}

// load reads the files that changed since the last load.
func (f *tlsFiles) load() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var errs []error
	if f.caFile != "" {
		if st, err := stampOf(f.caFile); err != nil {
			errs = append(errs, fmt.Errorf("Redis CA file: %w", err))
		} else if st != f.caStamp || f.roots == nil {
			pem, err := os.ReadFile(f.caFile)
			pool := x509.NewCertPool()
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("Redis CA file: %w", err))
			case !pool.AppendCertsFromPEM(pem):
				errs = append(errs, fmt.Errorf("Redis CA file %s holds no PEM certificate", f.caFile))
			default:
				f.roots, f.caStamp = pool, st
			}
		}
	}
	if f.certFile != "" || f.keyFile != "" {
		certSt, err1 := stampOf(f.certFile)
		keySt, err2 := stampOf(f.keyFile)
		if err := errors.Join(err1, err2); err != nil {
			errs = append(errs, fmt.Errorf("Redis client certificate: %w", err))
		} else if st := [2]fileStamp{certSt, keySt}; st != f.certStamp || f.cert == nil {
			cert, err := tls.LoadX509KeyPair(f.certFile, f.keyFile)
			if err != nil {
				errs = append(errs, fmt.Errorf("Redis client certificate: %w", err))
			} else {
				f.cert, f.certStamp = &cert, st
			}
		}
	}
	return errors.Join(errs...)
}

// current loads what changed and returns the roots and certificate in
// force (the last good ones when a changed file does not read).
func (f *tlsFiles) current() (*x509.CertPool, *tls.Certificate) {
	_ = f.load()
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.roots, f.cert
}
