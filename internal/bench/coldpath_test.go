package bench

import (
	"sync/atomic"
	"testing"

	ldap "github.com/go-ldap/ldap/v3"
)

// BenchmarkColdPath compares binds per second with the cache off (every
// request binds) through the loaded plugin with raw go-ldap binds over a
// pool of the same size, on the same slapd, in the same run. Both use 8
// concurrent callers, each with its own user (so no two concurrent checks
// are identical and merged), and 8 connections.
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
		var next atomic.Int32
		b.ReportAllocs()
		b.SetParallelism(4) // 4 x GOMAXPROCS(2) = 8 callers
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := int(next.Add(1)-1) % benchUsers
			dn, pw := "uid="+benchUID(i)+",ou=people,dc=example,dc=org", benchPassword(i)
			for pb.Next() {
				c := <-pool
				err := c.Bind(dn, pw)
				pool <- c
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	// What one direct-bind check costs the directory: the bind, then a read
	// of the user's own entry for the canonical username. The plugin does
	// exactly this per request with the cache off.
	b.Run("RawPooledBindAndRead", func(b *testing.B) {
		pool := make(chan *ldap.Conn, 8)
		for i := 0; i < cap(pool); i++ {
			c, err := ldap.DialURL(srv.URL())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			pool <- c
		}
		var next atomic.Int32
		b.ReportAllocs()
		b.SetParallelism(4)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := int(next.Add(1)-1) % benchUsers
			dn, pw := "uid="+benchUID(i)+",ou=people,dc=example,dc=org", benchPassword(i)
			read := ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 2, 5, false, "(objectClass=*)", []string{"uid"}, nil)
			for pb.Next() {
				c := <-pool
				err := c.Bind(dn, pw)
				if err == nil {
					_, err = c.Search(read)
				}
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
		warm(b, h, newReusableRequest(def, authHeader(benchUID(0), benchPassword(0))))
		var next atomic.Int32
		b.ReportAllocs()
		b.SetParallelism(4)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := int(next.Add(1)-1) % benchUsers
			q, w := newReusableRequest(def, authHeader(benchUID(i), benchPassword(i))), newDiscardWriter()
			for pb.Next() {
				h(w, q.next())
			}
			if w.written != 0 {
				b.Errorf("%d requests were refused", w.written)
			}
		})
	})
}
