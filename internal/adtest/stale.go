package adtest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testproc"
)

// ownerFile records which process a DC directory belongs to.
const ownerFile = "owner.pid"

// reclaimStaleDirs removes the directories of DCs whose process died
// without Stop (killed test binaries). Called with the machine lock held,
// so no other DC is running; a live owner's directory is kept (KeepDir,
// or a debugger holding the process).
func reclaimStaleDirs(stateDir string) {
	dirs, _ := filepath.Glob(filepath.Join(stateDir, "dc-*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, ownerFile))
		if err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && testproc.Alive(pid) {
				continue
			}
		}
		_ = os.RemoveAll(d)
	}
}
