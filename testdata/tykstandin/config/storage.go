// STAND-IN for tests only, not Tyk code. Mirrors the Redis settings of
// github.com/TykTechnologies/tyk/config: the StorageOptionsConf struct of
// config/config.go and its HostAddrs method (config/util.go), as a plugin
// reads them through config.Global().Storage.
package config

import "strconv"

// StorageOptionsConf is the gateway's Redis connection settings (the
// "storage" object of tyk.conf).
//
// Every field below has the same name, Go type and JSON tag in Tyk v5.3.13,
// v5.8.0, v5.8.12, v5.8.15 and v5.14.0. Differences between those releases,
// none of them on these fields' names, types or JSON tags:
//   - v5.14.0 adds the struct tag structviewer:"obfuscate" to
//     SentinelPassword and Password (it hides them in the gateway's config
//     viewer; JSON is unchanged). The stand-in carries it as v5.14.0 does.
//   - v5.14.0 adds CompressAPIDefinitions (compress_api_definitions),
//     CompressPolicies (compress_policies) and MaxDecompressedSize
//     (max_decompressed_size), about MDCB backups, not about connecting;
//     the stand-in leaves them out.
//
// config.Default in every one of those releases sets Type "redis", Host
// "localhost", Port 6379 and MaxIdle 100, and the gateway's own clients use
// a 5 s timeout when Timeout is 0 and a pool of 500 connections per node
// when MaxActive is 0 (storage/connection_handler.go, internal/rate).
type StorageOptionsConf struct {
	// Type is "redis".
	Type string `json:"type"`
	// Host and Port name a single Redis server; used only when Addrs and
	// Hosts are empty (see HostAddrs).
	Host string `json:"host"`
	Port int    `json:"port"`
	// Hosts maps host to port; deprecated in favour of Addrs.
	Hosts map[string]string `json:"hosts"`
	// Addrs lists "host:port" seeds for a cluster or several servers.
	Addrs []string `json:"addrs"`
	// MasterName selects Redis Sentinel: the name of the monitored master.
	MasterName string `json:"master_name"`
	// SentinelPassword authenticates to the sentinels.
	SentinelPassword string `json:"sentinel_password" structviewer:"obfuscate"`
	// Username and Password authenticate to Redis (ACL user, or only a
	// password for the default user).
	Username string `json:"username"`
	Password string `json:"password" structviewer:"obfuscate"`
	// Database is the Redis logical database number.
	Database int `json:"database"`
	// MaxIdle and MaxActive size the connection pool.
	MaxIdle   int `json:"optimisation_max_idle"`
	MaxActive int `json:"optimisation_max_active"`
	// Timeout is the network timeout in whole seconds.
	Timeout int `json:"timeout"`
	// EnableCluster selects a Redis Cluster client.
	EnableCluster bool `json:"enable_cluster"`
	// UseSSL turns TLS on; SSLInsecureSkipVerify stops certificate checks.
	UseSSL                bool `json:"use_ssl"`
	SSLInsecureSkipVerify bool `json:"ssl_insecure_skip_verify"`
	// CAFile, CertFile and KeyFile are PEM file paths: the CA to trust and
	// a client certificate with its key.
	CAFile   string `json:"ca_file"`
	CertFile string `json:"cert_file"`
	KeyFile  string `json:"key_file"`
	// TLSMaxVersion and TLSMinVersion are "1.0", "1.1", "1.2" or "1.3"
	// (the gateway's defaults when empty: 1.3 and 1.2).
	TLSMaxVersion string `json:"tls_max_version"`
	TLSMinVersion string `json:"tls_min_version"`
}

// HostAddrs returns the addresses a client should dial: Addrs when set,
// else one "host:port" per Hosts entry (in map order, so unordered), else
// Host:Port when Port is not 0 (Host may be empty, giving ":PORT"), else
// nothing. Unchanged from v5.3.13 to v5.14.0.
func (c *StorageOptionsConf) HostAddrs() (addrs []string) {
	if len(c.Addrs) > 0 {
		return c.Addrs
	}
	for host, port := range c.Hosts {
		addrs = append(addrs, host+":"+port)
	}
	if len(addrs) == 0 && c.Port != 0 {
		addrs = append(addrs, c.Host+":"+strconv.Itoa(c.Port))
	}
	return addrs
}
