package bench

import (
	"testing"

	ldap "github.com/go-ldap/ldap/v3"
)

const aliceDN = "uid=alice,ou=people,dc=example,dc=org"

// BenchmarkColdPath compares binds per second with the cache off (every
// request binds) through the loaded plugin with raw go-ldap binds over a
// pool of the same size, on the same slapd, in the same run. Both use 8
// concurrent callers and 8 connections.
func BenchmarkColdPath(b *testing.B) {
	srv := sharedLDAP(b)
	b.Run("RawPooledBinds", func(b *testing.B) {
		pool := make(chan *ldap.Conn, 8)
		for i := 0; i < cap(pool); i++ {
			c, err := ldap.DialURL(srv.URL())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			pool <- c
		}
		b.ReportAllocs()
		b.SetParallelism(4) // 4 x GOMAXPROCS(2) = 8 callers
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c := <-pool
				err := c.Bind(aliceDN, benchPass)
				pool <- c
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("LDAPAuthNoCache", func(b *testing.B) {
		cfg := hotConfig(srv)
		cfg["cache_ttl"] = "0"
		cfg["pool_size"] = 8.0
		def := api("bench-cold", cfg)
		h := ldapAuth(b)
		auth := authHeader(benchUser, benchPass)
		warm(b, h, newReusableRequest(def, auth))
		b.ReportAllocs()
		b.SetParallelism(4)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			q, w := newReusableRequest(def, auth), newDiscardWriter()
			for pb.Next() {
				h(w, q.next())
			}
			if w.written != 0 {
				b.Errorf("%d requests were refused", w.written)
			}
		})
	})
}
