//go:build unix

package sqlite

import (
	"errors"
	"os"
	"syscall"
)

// lockFile opens (creating it if needed) and locks the file at p for the
// lifetime of the returned file, or returns errHeld if another open file
// holds the lock. flock locks belong to the open file, not the process, so
// two opens in one process exclude each other too.
func lockFile(p string) (*os.File, error) {
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errHeld
		}
		return nil, err
	}
	return f, nil
}

// unlockFile releases the lock lockFile took: closing the file does.
func unlockFile(f *os.File) error { return f.Close() }
