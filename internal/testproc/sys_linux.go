//go:build linux

package testproc

import (
	"bytes"
	"fmt"
	"os"
	"syscall"
)

// withParentDeathSignal makes the kernel SIGKILL the child when the thread
// that started it dies (see Start), so a crashed or timed-out test binary
// never leaves a server behind.
func withParentDeathSignal(attr *syscall.SysProcAttr) *syscall.SysProcAttr {
	if attr == nil {
		attr = &syscall.SysProcAttr{}
	}
	attr.Pdeathsig = syscall.SIGKILL
	return attr
}

// SysProcAttr is the attribute set for short helper commands run with
// exec.Cmd.Run (ldapmodify, samba-tool). They are forked from an unlocked
// thread; Go retires an OS thread only when a goroutine locked to it exits,
// so Pdeathsig firing early is not a practical risk for a command that ends
// within its caller's call. Long-lived servers use Start.
func SysProcAttr() *syscall.SysProcAttr { return withParentDeathSignal(nil) }

// State returns the state letter of /proc/PID/stat ('T' = stopped, 'Z' =
// zombie).
func State(pid int) (byte, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name is in parentheses and may hold spaces: the state
	// follows the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	return b[i+2], nil
}

// Alive reports whether pid exists and is not a zombie.
func Alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	st, err := State(pid)
	return err == nil && st != 'Z'
}
