//go:build !linux

package slapdtest

import (
	"errors"
	"syscall"
)

// The harness targets Linux (Debian's slapd); elsewhere it compiles without
// the parent-death guarantee.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }

func processState(int) (byte, error) { return 0, errors.New("process state unknown on this OS") }
