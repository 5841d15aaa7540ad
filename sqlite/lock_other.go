//go:build !unix

package sqlite

import "os"

// lockFile creates the lock file exclusively where flock is not available:
// a second daemon is refused, but a daemon that died without closing the
// database leaves the file behind, to be removed by hand.
func lockFile(p string) (*os.File, error) {
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if os.IsExist(err) {
		return nil, errHeld
	}
	return f, err
}

// unlockFile releases the lock lockFile took by removing the file.
func unlockFile(f *os.File) error {
	err := f.Close()
	if rerr := os.Remove(f.Name()); err == nil {
		err = rerr
	}
	return err
}
