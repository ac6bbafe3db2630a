package childproc

import (
	"errors"
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

// Process is one started child.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the child has exited
	err  error         // Wait's result; read only after done is closed
}

// Start starts cmd in a new process group. The command's SysProcAttr is
// replaced.
//
// The child is started and waited for on a goroutine locked to its OS
// thread: Linux delivers the parent-death signal when the thread that forked
// the child exits, and the Go runtime may retire an unlocked thread at any
// time, which would kill the child early. This thread only ends when the
// child does.
func Start(cmd *exec.Cmd) (*Process, error) {
	cmd.SysProcAttr = sysProcAttr()
	p := &Process{cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			close(p.done)
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

// PID is the child's process id (also its process group id).
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Done is closed when the child has exited.
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

// Err is the child's exit status once it has exited (nil before).
func (p *Process) Err() error {
	if !p.Exited() {
		return nil
	}
	return p.err
}

// ErrKilled is returned by Stop when the child ignored SIGTERM.
var ErrKilled = errors.New("childproc: the process ignored SIGTERM and was killed")

// Stop sends SIGTERM to the child's process group, waits up to grace for
// the child to exit, then sends SIGKILL to the group and waits. It returns
// ErrKilled in that case, and nil when the child had already exited.
func (p *Process) Stop(grace time.Duration) error {
	if p.Exited() {
		return nil
	}
	p.signalGroup(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
		// The leader is gone; anything it left in its group goes too.
		p.signalGroup(syscall.SIGKILL)
		return nil
	case <-t.C:
		p.signalGroup(syscall.SIGKILL)
		<-p.done
		return ErrKilled
	}
}

// signalGroup signals the whole process group; errors mean the group is
// already empty.
func (p *Process) signalGroup(sig syscall.Signal) {
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
}
