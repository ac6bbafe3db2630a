package redistest

import "testing"

// StartT starts a server for a test and stops it in t.Cleanup. It fails
// the test (never skips) when redis-server cannot start; if it is missing
// the message says to run apt-get install -y --no-install-recommends
// redis-server.
func StartT(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(collect(opts))
	if err != nil {
		t.Fatalf("redistest: cannot start redis-server: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("redistest: stop: %v", err)
		}
	})
	return s
}

// StartClusterT starts a Cluster for a test and stops it in t.Cleanup,
// failing the test like StartT.
func StartClusterT(t testing.TB, opts ...Option) *Cluster {
	t.Helper()
	c, err := StartCluster(collect(opts))
	if err != nil {
		t.Fatalf("redistest: cannot start a Redis Cluster: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("redistest: stop cluster: %v", err)
		}
	})
	return c
}

func collect(opts []Option) Options {
	var o Options
	for _, f := range opts {
		f(&o)
	}
	return o
}
