//go:build unix && !linux

package childproc

import "syscall"

// sysProcAttr: a process group of its own. Only Linux has a parent-death
// signal; elsewhere a crashed parent can leave the child running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
