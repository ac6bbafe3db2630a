package cdp

import "testing"

// LaunchT launches a browser for a test and closes it in t.Cleanup. It
// fails the test (never skips) when the browser cannot start; when Chromium
// is missing the message says how to install it.
func LaunchT(t testing.TB, opts Options) *Browser {
	t.Helper()
	b, err := Launch(opts)
	if err != nil {
		t.Fatalf("cdp: cannot launch Chromium: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("cdp: close: %v", err)
		}
	})
	return b
}
