//go:build unix && !linux

package testproc

import (
	"errors"
	"syscall"
)

// The test bed targets Linux (Debian's slapd and samba); on other Unixes it
// compiles without the parent-death guarantee.
func withParentDeathSignal(attr *syscall.SysProcAttr) *syscall.SysProcAttr {
	if attr == nil {
		attr = &syscall.SysProcAttr{}
	}
	return attr
}

// SysProcAttr is the attribute set for helper commands run with exec.Cmd.Run.
func SysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }

// State is unknown outside Linux.
func State(int) (byte, error) { return 0, errors.New("process state unknown on this OS") }

// Alive reports whether pid exists (zombies included outside Linux).
func Alive(pid int) bool { return syscall.Kill(pid, 0) == nil }
