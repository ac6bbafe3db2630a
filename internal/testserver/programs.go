package testserver

import (
	"fmt"
	"os"
)

// CheckPrograms fails, wrapping notInstalled, at the first path that is not
// an executable file, so a harness can tell the developer what to install
// before it starts anything.
func CheckPrograms(notInstalled error, paths ...string) error {
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return fmt.Errorf("%s not found or not executable: %w", p, notInstalled)
		}
	}
	return nil
}
