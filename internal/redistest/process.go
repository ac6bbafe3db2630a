package redistest

import (
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

// process is one run of redis-server.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when redis-server has exited
	err  error         // exit status; read only after done is closed
}

// start runs the command on a goroutine locked to its OS thread that stays
// blocked in Wait for the server's lifetime. Linux sends Pdeathsig when the
// *thread* that forked the child exits, not the process; an unlocked thread
// could be retired by the Go runtime and kill the server early, while this
// one only ends when the server does or when the test binary dies (which is
// exactly when the server must die too).
func (p *process) start() error {
	p.done = make(chan struct{})
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := p.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return <-started
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *process) pid() int { return p.cmd.Process.Pid }

func (p *process) signal(sig syscall.Signal) error {
	if p.exited() {
		return nil
	}
	return p.cmd.Process.Signal(sig)
}

// kill sends SIGKILL and waits for the exit.
func (p *process) kill() {
	_ = p.signal(syscall.SIGKILL)
	<-p.done
}

// terminate asks the server to shut down (SIGCONT first in case it is
// frozen, then SIGTERM) and kills it if it has not exited within grace.
func (p *process) terminate(grace time.Duration) (killed bool) {
	_ = p.signal(syscall.SIGCONT)
	_ = p.signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
		return false
	case <-t.C:
		p.kill()
		return true
	}
}
