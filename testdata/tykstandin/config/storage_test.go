// STAND-IN tests (not Tyk code): pin the Redis settings' Go names, types
// and JSON tags to those of Tyk v5.14.0 (identical in v5.3.13 to v5.8.15
// apart from the structviewer tags), and HostAddrs' choice of addresses.
package config

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

func TestStorageOptionsConfFields(t *testing.T) {
	want := []struct{ name, typ, tag string }{
		{"Type", "string", `json:"type"`},
		{"Host", "string", `json:"host"`},
		{"Port", "int", `json:"port"`},
		{"Hosts", "map[string]string", `json:"hosts"`},
		{"Addrs", "[]string", `json:"addrs"`},
		{"MasterName", "string", `json:"master_name"`},
		{"SentinelPassword", "string", `json:"sentinel_password" structviewer:"obfuscate"`},
		{"Username", "string", `json:"username"`},
		{"Password", "string", `json:"password" structviewer:"obfuscate"`},
		{"Database", "int", `json:"database"`},
		{"MaxIdle", "int", `json:"optimisation_max_idle"`},
		{"MaxActive", "int", `json:"optimisation_max_active"`},
		{"Timeout", "int", `json:"timeout"`},
		{"EnableCluster", "bool", `json:"enable_cluster"`},
		{"UseSSL", "bool", `json:"use_ssl"`},
		{"SSLInsecureSkipVerify", "bool", `json:"ssl_insecure_skip_verify"`},
		{"CAFile", "string", `json:"ca_file"`},
		{"CertFile", "string", `json:"cert_file"`},
		{"KeyFile", "string", `json:"key_file"`},
		{"TLSMaxVersion", "string", `json:"tls_max_version"`},
		{"TLSMinVersion", "string", `json:"tls_min_version"`},
	}
	typ := reflect.TypeOf(StorageOptionsConf{})
	if typ.NumField() != len(want) {
		t.Fatalf("%d fields, want %d", typ.NumField(), len(want))
	}
	for i, w := range want {
		f := typ.Field(i)
		if f.Name != w.name || f.Type.String() != w.typ || string(f.Tag) != w.tag {
			t.Errorf("field %d: %s %s `%s`, want %s %s `%s`", i, f.Name, f.Type, f.Tag, w.name, w.typ, w.tag)
		}
	}
	for _, c := range []struct{ field, typ, tag string }{
		{"Storage", "config.StorageOptionsConf", `json:"storage"`},
		{"HttpServerOptions", "config.HttpServerOptionsConfig", `json:"http_server_options"`},
	} {
		f, ok := reflect.TypeOf(Config{}).FieldByName(c.field)
		if !ok || f.Type.String() != c.typ || string(f.Tag) != c.tag {
			t.Errorf("Config.%s: %v %v `%v`", c.field, ok, f.Type, f.Tag)
		}
	}
}

// A tyk.conf fragment decodes into the mirrored fields.
func TestStorageFromTykConf(t *testing.T) {
	const conf = `{
	  "hash_keys": true,
	  "storage": {
	    "type": "redis", "host": "redis.internal", "port": 6380,
	    "hosts": {"h1": "7000"}, "addrs": ["10.0.0.1:7000", "10.0.0.2:7000"],
	    "master_name": "mymaster", "sentinel_password": "sp", "username": "tyk",
	    "password": "pw", "database": 2, "optimisation_max_idle": 50,
	    "optimisation_max_active": 300, "timeout": 3, "enable_cluster": true,
	    "use_ssl": true, "ssl_insecure_skip_verify": true, "ca_file": "/ca.pem",
	    "cert_file": "/c.pem", "key_file": "/k.pem",
	    "tls_max_version": "1.3", "tls_min_version": "1.2"
	  },
	  "http_server_options": {"xff_depth": 2}
	}`
	var c Config
	if err := json.Unmarshal([]byte(conf), &c); err != nil {
		t.Fatal(err)
	}
	want := StorageOptionsConf{
		Type: "redis", Host: "redis.internal", Port: 6380,
		Hosts: map[string]string{"h1": "7000"}, Addrs: []string{"10.0.0.1:7000", "10.0.0.2:7000"},
		MasterName: "mymaster", SentinelPassword: "sp", Username: "tyk",
		Password: "pw", Database: 2, MaxIdle: 50, MaxActive: 300, Timeout: 3,
		EnableCluster: true, UseSSL: true, SSLInsecureSkipVerify: true,
		CAFile: "/ca.pem", CertFile: "/c.pem", KeyFile: "/k.pem",
		TLSMaxVersion: "1.3", TLSMinVersion: "1.2",
	}
	if !reflect.DeepEqual(c.Storage, want) {
		t.Fatalf("decoded %+v\nwant    %+v", c.Storage, want)
	}
	if !c.HashKeys || c.HttpServerOptions.XFFDepth != 2 {
		t.Fatalf("hash_keys %v, xff_depth %d", c.HashKeys, c.HttpServerOptions.XFFDepth)
	}
}

func TestHostAddrs(t *testing.T) {
	tests := []struct {
		name string
		conf StorageOptionsConf
		want []string
	}{
		{"addrs win", StorageOptionsConf{Addrs: []string{"a:1", "b:2"}, Hosts: map[string]string{"h": "3"}, Host: "x", Port: 4}, []string{"a:1", "b:2"}},
		{"hosts before host and port", StorageOptionsConf{Hosts: map[string]string{"h1": "1", "h2": "2"}, Host: "x", Port: 4}, []string{"h1:1", "h2:2"}},
		{"host and port", StorageOptionsConf{Host: "redis", Port: 6379}, []string{"redis:6379"}},
		{"port without host", StorageOptionsConf{Port: 6379}, []string{":6379"}},
		{"host without port", StorageOptionsConf{Host: "redis"}, nil},
		{"nothing", StorageOptionsConf{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.conf.HostAddrs()
			slices.Sort(got) // Hosts is a map: its order is not defined
			if !slices.Equal(got, tc.want) {
				t.Fatalf("HostAddrs() = %q, want %q", got, tc.want)
			}
		})
	}
}
