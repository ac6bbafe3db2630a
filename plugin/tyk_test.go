package main

import (
	"testing"
	"time"
)

func TestSessionExpiry(t *testing.T) {
	base := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name     string
		now      time.Time
		lifetime time.Duration
		want     int64
	}{
		{name: "whole seconds", now: base, lifetime: time.Hour, want: base.Unix() + 3600},
		{name: "a fraction of a second rounds up", now: base.Add(time.Millisecond), lifetime: time.Hour, want: base.Unix() + 3601},
		{name: "the end of a second rounds up", now: base.Add(999 * time.Millisecond), lifetime: time.Second, want: base.Unix() + 2},
		{name: "a fractional lifetime rounds up", now: base, lifetime: 1500 * time.Millisecond, want: base.Unix() + 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := sessionExpiry(tc.now, tc.lifetime)
			if got != tc.want {
				t.Fatalf("sessionExpiry = %d, want %d", got, tc.want)
			}
			if end := tc.now.Add(tc.lifetime); time.Unix(got, 0).Before(end) {
				t.Fatalf("expires %v before now + lifetime %v: Tyk would refuse the session early", time.Unix(got, 0), end)
			}
		})
	}
}
