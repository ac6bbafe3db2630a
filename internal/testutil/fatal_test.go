package testutil

import "testing"

func TestCatchFatal(t *testing.T) {
	tests := []struct {
		name       string
		fn         func(testing.TB)
		wantMsg    string
		wantFailed bool
		wantAfter  bool // fn went on after the failure
	}{
		{"nothing fails", func(testing.TB) {}, "", false, true},
		{"Fatalf ends fn", func(tb testing.TB) { tb.Fatalf("broke: %d", 7) }, "broke: 7", true, false},
		{"Fatal ends fn", func(tb testing.TB) { tb.Fatal("broke", 8) }, "broke8", true, false},
		{"FailNow ends fn", func(tb testing.TB) { tb.FailNow() }, "", true, false},
		{"Errorf lets fn go on", func(tb testing.TB) { tb.Errorf("bad %s", "x") }, "bad x", true, true},
		{"the first failure is kept", func(tb testing.TB) { tb.Error("first"); tb.Fatal("second") }, "first", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			after := false
			msg, failed := CatchFatal(t, func(tb testing.TB) {
				tc.fn(tb)
				after = true
				if tb.Failed() != tc.wantFailed {
					t.Errorf("Failed() = %v inside fn, want %v", tb.Failed(), tc.wantFailed)
				}
			})
			if msg != tc.wantMsg || failed != tc.wantFailed || after != tc.wantAfter {
				t.Fatalf("CatchFatal = %q, %v (went on: %v); want %q, %v (%v)", msg, failed, after, tc.wantMsg, tc.wantFailed, tc.wantAfter)
			}
		})
	}
}
