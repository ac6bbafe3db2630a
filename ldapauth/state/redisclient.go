package state

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
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
	var tlsConfig *tls.Config
	if o.TLS {
		var err error
		if tlsConfig, err = o.tlsConfig(); err != nil {
			return nil, err
		}
	}
	const poolSize = 16
	poolTimeout := max(timeout/2, time.Millisecond)
	switch {
	case o.MasterName != "":
		return redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName: o.MasterName, SentinelAddrs: o.Addrs, SentinelPassword: o.SentinelPassword.Reveal(),
			Username: o.Username, Password: o.Password.Reveal(), DB: o.DB, TLSConfig: tlsConfig,
			DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout, ContextTimeoutEnabled: true,
			MaxRetries: -1, PoolSize: poolSize, PoolTimeout: poolTimeout,
		}), nil
	case o.Cluster || len(o.Addrs) > 1:
		return redis.NewClusterClient(&redis.ClusterOptions{
			Addrs: o.Addrs, Username: o.Username, Password: o.Password.Reveal(), TLSConfig: tlsConfig,
			DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout, ContextTimeoutEnabled: true,
			MaxRetries: -1, MaxRedirects: 3, PoolSize: poolSize, PoolTimeout: poolTimeout,
		}), nil
	}
	return redis.NewClient(&redis.Options{
		Addr: o.Addrs[0], Username: o.Username, Password: o.Password.Reveal(), DB: o.DB, TLSConfig: tlsConfig,
		DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout, ContextTimeoutEnabled: true,
		MaxRetries: -1, PoolSize: poolSize, PoolTimeout: poolTimeout,
	}), nil
}

var tlsVersions = map[string]uint16{"1.0": tls.VersionTLS10, "1.1": tls.VersionTLS11, "1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13}

func (o RedisOptions) tlsConfig() (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: o.TLSInsecureSkipVerify} //nolint:gosec // only when the gateway's ssl_insecure_skip_verify says so
	if o.TLSMinVersion != "" {
		v, ok := tlsVersions[o.TLSMinVersion]
		if !ok {
			return nil, fmt.Errorf("unknown TLS version %q", o.TLSMinVersion)
		}
		c.MinVersion = v
	}
	if o.TLSMaxVersion != "" {
		v, ok := tlsVersions[o.TLSMaxVersion]
		if !ok {
			return nil, fmt.Errorf("unknown TLS version %q", o.TLSMaxVersion)
		}
		c.MaxVersion = v
	}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("Redis CA file: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("Redis CA file %s holds no PEM certificate", o.CAFile)
		}
	}
	if o.CertFile != "" || o.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("Redis client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
