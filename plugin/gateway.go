package main

import (
	"errors"

	"github.com/TykTechnologies/tyk/config"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/secret"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/state"
)

// gatewayRedis reads the gateway's own Redis settings (tyk.conf
// "storage"), which APIs with shared_state "redis" use unless they set
// redis_url. config.Global is set by the gateway at start; it is read when
// an API is first used, never at load time.
func gatewayRedis() (state.RedisOptions, error) {
	if config.Global == nil {
		return state.RedisOptions{}, errors.New("the gateway's configuration is not available")
	}
	s := config.Global().Storage
	o := state.RedisOptions{
		Addrs:                 s.HostAddrs(),
		Cluster:               s.EnableCluster,
		MasterName:            s.MasterName,
		SentinelPassword:      secret.Value(s.SentinelPassword),
		Username:              s.Username,
		Password:              secret.Value(s.Password),
		DB:                    s.Database,
		TLS:                   s.UseSSL,
		TLSInsecureSkipVerify: s.SSLInsecureSkipVerify,
		CAFile:                s.CAFile,
		CertFile:              s.CertFile,
		KeyFile:               s.KeyFile,
		TLSMinVersion:         s.TLSMinVersion,
		TLSMaxVersion:         s.TLSMaxVersion,
	}
	if len(o.Addrs) == 0 {
		return state.RedisOptions{}, errors.New("tyk.conf storage names no Redis host")
	}
	return o, nil
}
