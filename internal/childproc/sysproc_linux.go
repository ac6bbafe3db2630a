//go:build linux

package childproc

import "syscall"

// sysProcAttr: a process group of its own (so the group can be stopped as
// one, and a Ctrl-C in the terminal reaches only the parent, which then
// stops the child in order), and SIGKILL from the kernel when the parent
// dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
