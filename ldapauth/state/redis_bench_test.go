package state

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/redistest"
)

// BenchmarkRedisReserveRelease is the Redis part of a cold check in fleet
// mode: a reservation, then a successful attempt's deferred release, from
// 8 callers with an account each, against a real redis-server. Ping is the
// floor: one round trip that does no work. It reports the server's own
// microseconds per script run (INFO commandstats) as redis-us/op.
func BenchmarkRedisReserveRelease(b *testing.B) {
	s := redistest.StartT(b)
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), ContextTimeoutEnabled: true})
	b.Cleanup(func() { c.Close() })
	a := newAttempts(b, c, Limits{Max: 1000, Window: time.Minute}, time.Second, WithDeferredRelease(5*time.Millisecond))
	ctx := context.Background()
	parallel := func(b *testing.B, op func(key string) error) {
		var next atomic.Int32
		b.ReportAllocs()
		b.SetParallelism(4)
		_, _ = s.Do("CONFIG", "RESETSTAT")
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			key := account("bench" + strconv.Itoa(int(next.Add(1))))
			for pb.Next() {
				if err := op(key); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.StopTimer()
		b.ReportMetric(serverMicros(b, s)/float64(b.N), "redis-us/op")
	}
	b.Run("Ping", func(b *testing.B) {
		parallel(b, func(string) error { return c.Ping(ctx).Err() })
	})
	b.Run("ReserveSucceeded", func(b *testing.B) {
		parallel(b, func(key string) error {
			r, err := a.Reserve(ctx, key)
			if err != nil {
				return err
			}
			r.Succeeded(ctx)
			return nil
		})
	})
}

// serverMicros sums usec over every command in INFO commandstats.
func serverMicros(b *testing.B, s *redistest.Server) float64 {
	out, err := s.Do("INFO", "commandstats")
	if err != nil {
		b.Fatal(err)
	}
	var total float64
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "cmdstat_") || strings.HasPrefix(line, "cmdstat_info") || strings.HasPrefix(line, "cmdstat_config") {
			continue
		}
		if strings.HasPrefix(line, "cmdstat_eval") {
			b.Log(strings.TrimSpace(line))
		}
		for _, f := range strings.Split(line[strings.Index(line, ":")+1:], ",") {
			if v, ok := strings.CutPrefix(f, "usec="); ok {
				n, _ := strconv.ParseFloat(v, 64)
				total += n
			}
		}
	}
	return total
}
