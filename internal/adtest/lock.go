package adtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// machineLock is an exclusive flock on StateDir/dc.lock, held for as long
// as a DC runs. Samba's ports (389, 636, 3268, 3269) are fixed, so every
// test binary on the machine takes this lock before it starts a DC; a
// second binary waits instead of failing on a port clash. The kernel drops
// the lock when the holder's last file descriptor closes, so a crashed
// holder never leaves it behind.
type machineLock struct {
	f *os.File
}

// lockPollInterval is how often a waiter retries a held lock.
const lockPollInterval = 100 * time.Millisecond

func lockPath(stateDir string) string { return filepath.Join(stateDir, "dc.lock") }

// acquireMachineLock waits up to timeout for the lock. logf hears once
// that it is waiting, and for whom.
func acquireMachineLock(stateDir string, timeout time.Duration, logf func(string, ...any)) (*machineLock, error) {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("adtest: state directory: %w", err)
	}
	path := lockPath(stateDir)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("adtest: lock file: %w", err)
	}
	deadline := time.Now().Add(timeout)
	logged := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("adtest: flock %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("adtest: another AD DC still runs after %s (only one fits on a machine: ports 389 and 636 are fixed); lock %s is held by %s",
				timeout, path, lockHolder(path))
		}
		if !logged {
			logf("adtest: waiting up to %s for the AD DC of %s to stop (lock %s)", timeout, lockHolder(path), path)
			logged = true
		}
		time.Sleep(lockPollInterval)
	}
	// Record who holds it, for the message a waiter prints.
	holder := fmt.Sprintf("pid %d (%s) since %s\n", os.Getpid(), strings.Join(os.Args, " "), time.Now().Format(time.RFC3339))
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(holder), 0)
	}
	return &machineLock{f: f}, nil
}

// lockHolder describes the holder recorded in the lock file.
func lockHolder(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(strings.TrimSpace(string(b))) == 0 {
		return "an unknown process"
	}
	return strings.TrimSpace(string(b))
}

// file is handed to samba (ExtraFiles), so the lock lasts until samba
// itself has exited even if the test binary dies first.
func (l *machineLock) file() *os.File { return l.f }

// release unlocks. Call it only once samba has exited: samba's inherited
// descriptor shares the lock, and unlocking drops it for both.
func (l *machineLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
