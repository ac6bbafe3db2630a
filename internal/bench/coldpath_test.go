package bench

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/TykTechnologies/tyk/apidef"
	ldap "github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// BenchmarkColdPath compares checks per second with the cache off (every
// request asks the directory) through the loaded plugin with raw go-ldap
// over a pool of the same size, on the same slapd, in the same run. All use
// 8 concurrent callers, each with its own user (so no two concurrent checks
// are identical and merged), and 8 connections.
func BenchmarkColdPath(b *testing.B) {
	srv := sharedLDAP(b)
	b.Run("RawPooledBinds", func(b *testing.B) {
		pool := rawPool(b, srv.URL())
		perUser(b, func(user int) func() error {
			dn, pw := benchDN(user), benchPassword(user)
			return func() error {
				c := <-pool
				defer func() { pool <- c }()
				return c.Bind(dn, pw)
			}
		})
	})
	// What one direct-bind check costs the directory: the bind, then a read
	// of the user's own entry for the canonical username. The plugin does
	// exactly this per request with the cache off.
	b.Run("RawPooledBindAndRead", func(b *testing.B) {
		pool := rawPool(b, srv.URL())
		perUser(b, func(user int) func() error {
			dn, pw := benchDN(user), benchPassword(user)
			read := ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 2, 5, false, "(objectClass=*)", []string{"uid"}, nil)
			return func() error {
				c := <-pool
				defer func() { pool <- c }()
				if err := c.Bind(dn, pw); err != nil {
					return err
				}
				_, err := c.Search(read)
				return err
			}
		})
	})
	cold := func(id string, extra map[string]interface{}) func(b *testing.B) {
		return func(b *testing.B) {
			def := coldAPI(srv, id, extra)
			h := ldapAuth(b)
			warm(b, h, newReusableRequest(def, authHeader(benchUID(0), benchPassword(0))))
			perUser(b, func(user int) func() error {
				q, w := newReusableRequest(def, authHeader(benchUID(user), benchPassword(user))), newDiscardWriter()
				return func() error {
					h(w, q.next())
					if w.written != 0 {
						return fmt.Errorf("request refused")
					}
					return nil
				}
			})
		}
	}
	// Failure counts in this process, then in the Redis a fleet shares:
	// the reservation's round trip before each bind is the difference (a
	// successful attempt's release rides in the next call's pipeline).
	b.Run("LDAPAuthNoCache", cold("bench-cold", nil))
	b.Run("LDAPAuthNoCacheRedisCounts", cold("bench-cold-redis", redisCounts(b)))
}

// BenchmarkColdPathInterleaved runs ColdPath's LDAPAuthNoCache and
// LDAPAuthNoCacheRedisCounts request by request in turn in the same 8
// callers, so both meet the same load on the machine (on a shared machine
// two benchmarks run one after the other do not), and reports the
// throughput of the Redis path as a fraction of the local one:
// redis-throughput-ratio, the local checks' total time over the Redis
// checks' (8 callers in a closed loop: throughput is callers / latency).
func BenchmarkColdPathInterleaved(b *testing.B) {
	srv := sharedLDAP(b)
	local, shared := coldAPI(srv, "bench-mixed", nil), coldAPI(srv, "bench-mixed-redis", redisCounts(b))
	h := ldapAuth(b)
	for _, def := range []*apidef.APIDefinition{local, shared} {
		warm(b, h, newReusableRequest(def, authHeader(benchUID(0), benchPassword(0))))
	}
	var localNs, sharedNs atomic.Int64
	perUser(b, func(user int) func() error {
		auth := authHeader(benchUID(user), benchPassword(user))
		ql, qs, w := newReusableRequest(local, auth), newReusableRequest(shared, auth), newDiscardWriter()
		turn := user % 2
		return func() error {
			q, spent := ql, &localNs
			if turn++; turn%2 == 0 {
				q, spent = qs, &sharedNs
			}
			start := time.Now()
			h(w, q.next())
			spent.Add(int64(time.Since(start)))
			if w.written != 0 {
				return fmt.Errorf("request refused")
			}
			return nil
		}
	})
	b.StopTimer()
	if n := sharedNs.Load(); n > 0 {
		b.ReportMetric(float64(localNs.Load())/float64(n), "redis-throughput-ratio")
	}
}

// coldAPI is an API with the cache off (every request asks the directory)
// and a pool of 8 connections; extra adds settings.
func coldAPI(srv *slapdtest.Server, id string, extra map[string]interface{}) *apidef.APIDefinition {
	cfg := hotConfig(srv)
	cfg["cache_ttl"] = "0"
	cfg["pool_size"] = 8.0
	cfg["max_failures"] = 1000.0
	for k, v := range extra {
		cfg[k] = v
	}
	return api(id, cfg)
}

// redisCounts are the settings that count failures in the shared Redis.
func redisCounts(b *testing.B) map[string]interface{} {
	return map[string]interface{}{"shared_state": "redis", "redis_url": sharedRedis(b).URL()}
}

// perUser runs op in 8 parallel callers (4 x GOMAXPROCS 2), each bound to
// its own bench user; newOp prepares a caller's op.
func perUser(b *testing.B, newOp func(user int) func() error) {
	var next atomic.Int32
	b.ReportAllocs()
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		op := newOp(int(next.Add(1)-1) % benchUsers)
		for pb.Next() {
			if err := op(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func benchDN(user int) string { return "uid=" + benchUID(user) + ",ou=people,dc=example,dc=org" }

// rawPool opens 8 plain go-ldap connections, closed when b ends.
func rawPool(b *testing.B, url string) chan *ldap.Conn {
	pool := make(chan *ldap.Conn, 8)
	for i := 0; i < cap(pool); i++ {
		c, err := ldap.DialURL(url)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		pool <- c
	}
	return pool
}
