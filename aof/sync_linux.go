//go:build linux

package aof

import (
	"errors"
	"os"
	"syscall"
)

// fdatasync flushes file data (and the metadata needed to read it back, such
// as the size) like Redis' redis_fsync on Linux.
func fdatasync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			serr = syscall.Fdatasync(int(fd))
			if !errors.Is(serr, syscall.EINTR) {
				return
			}
		}
	}); err != nil {
		return err
	}
	return serr
}
