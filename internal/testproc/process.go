//go:build unix

// Package testproc runs the external programs of the test bed and the
// development tools (slapd, samba, redis-server, php, Chromium) as children
// that never outlive the process that started them, and waits on their
// state.
package testproc

import (
	"errors"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// Process is one run of a child program started by Start or StartGroup.
// Its methods are safe for concurrent use.
type Process struct {
	cmd   *exec.Cmd
	group bool          // signals go to the whole process group
	done  chan struct{} // closed when the child has exited
	err   error         // exit status; read only after done is closed

	leftovers sync.Once // the group's remaining members are killed once
}

// Start runs cmd with Pdeathsig (see StartGroup for a whole process group).
// Fields of cmd.SysProcAttr set by the caller are kept.
//
// The child is started from a goroutine locked to its OS thread that stays
// blocked in Wait for the child's lifetime: Linux sends Pdeathsig when the
// *thread* that forked the child exits, not the process. An unlocked thread
// could be retired by the Go runtime and kill the child early; this one
// only ends when the child does or when the test binary dies, which is
// exactly when the child must die too.
func Start(cmd *exec.Cmd) (*Process, error) {
	return start(cmd, false)
}

// StartGroup is Start with the child leading a new process group, so
// Signal, Kill and Terminate reach everything it forks.
func StartGroup(cmd *exec.Cmd) (*Process, error) {
	return start(cmd, true)
}

func start(cmd *exec.Cmd, group bool) (*Process, error) {
	if cmd.Process != nil {
		return nil, errors.New("testproc: command already started")
	}
	cmd.SysProcAttr = withParentDeathSignal(cmd.SysProcAttr)
	if group {
		cmd.SysProcAttr.Setpgid = true
	}
	p := &Process{cmd: cmd, group: group, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

// PID is the child's process id (also its process group id for StartGroup).
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Done is closed when the child has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the child has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Err is the exit status (as from exec.Cmd.Wait); nil while running.
func (p *Process) Err() error {
	if !p.Exited() {
		return nil
	}
	return p.err
}

// Signal sends sig to the child, or to its whole group for StartGroup. It
// is a no-op once the child has exited.
func (p *Process) Signal(sig syscall.Signal) error {
	if p.Exited() {
		return nil
	}
	if p.group {
		// The group may hold children of the leader that outlive it
		// briefly; ESRCH means nobody is left.
		if err := syscall.Kill(-p.PID(), sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			return err
		}
		return nil
	}
	return p.cmd.Process.Signal(sig)
}

// Kill sends SIGKILL and waits until the child has been reaped. For
// StartGroup, whatever is left of the group after that dies too.
func (p *Process) Kill() {
	_ = p.Signal(syscall.SIGKILL)
	<-p.done
	p.killLeftovers()
}

// Terminate asks the child to shut down (SIGCONT first in case it is
// stopped, then SIGTERM) and kills it if it has not exited within grace.
// It reports whether SIGKILL was needed. For StartGroup, the signals go to
// the whole group, and members still there once the leader has exited
// (a grandchild that ignores SIGTERM) are killed.
func (p *Process) Terminate(grace time.Duration) (killed bool) {
	_ = p.Signal(syscall.SIGCONT)
	_ = p.Signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
		p.killLeftovers()
		return false
	case <-t.C:
		p.Kill()
		return true
	}
}

// killLeftovers sends SIGKILL to the process group of an exited
// StartGroup leader: the group outlives its leader while any member
// remains, and ESRCH means none does. Signal cannot be used, as it is a
// no-op once the leader has exited. Only the first call signals: by a
// later one the group id may have been reused by an unrelated group.
func (p *Process) killLeftovers() {
	if p.group {
		p.leftovers.Do(func() { _ = syscall.Kill(-p.PID(), syscall.SIGKILL) })
	}
}

// GroupGone reports whether no process is left in process group pgid.
func GroupGone(pgid int) bool {
	return errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH)
}
