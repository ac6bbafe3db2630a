package redistest

import (
	"fmt"
	"os"
	"testing"
)

// TestMain doubles as the helper process of TestServerDiesWithTestBinary:
// with REDISTEST_HELPER=1 it starts a server, reports it and exits without
// Stop, so Pdeathsig alone must end the server.
func TestMain(m *testing.M) {
	if os.Getenv("REDISTEST_HELPER") == "1" {
		s, err := Start(Options{})
		if err != nil {
			fmt.Println("HELPER-ERROR", err)
			os.Exit(2)
		}
		fmt.Printf("HELPER %d %s\n", s.PID(), s.Dir())
		os.Exit(0)
	}
	os.Exit(m.Run())
}
