//go:build unix

package sqlite

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

// notWritable says why the database at path cannot be written, or "" when
// the operating system reports nothing in the way. SQLite's own messages for
// these cases ("unable to open database file", "disk I/O error") name
// neither the cause nor the file. SQLite writes the file and, beside it, the
// -wal and -shm files, so both the file and its folder must be writable.
//
// Permissions and a read-only mount show in access(2). A file system the
// kernel turned read-only after an I/O error (ext4's errors=remount-ro) may
// not: only a write tells, so a probe file is created in the folder and
// removed. The database file itself is never opened here: closing another
// descriptor of it would drop SQLite's POSIX locks.
func notWritable(path string) string {
	const wOK = 2 // W_OK
	dir := filepath.Dir(path)
	for _, p := range []struct{ path, what string }{{path, "the file"}, {dir, "its folder"}} {
		if _, err := os.Stat(p.path); err != nil {
			continue
		}
		if err := syscall.Access(p.path, wOK); err != nil {
			return why(err, p.what)
		}
	}
	f, err := os.CreateTemp(dir, ".feedcurator-probe-*")
	if err != nil {
		return why(err, "its folder")
	}
	f.Close()
	os.Remove(f.Name())
	return ""
}

func why(err error, what string) string {
	switch {
	case errors.Is(err, syscall.EROFS):
		return "read-only file system"
	case errors.Is(err, syscall.ENOSPC):
		return "no space left on the file system"
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return "no permission to write " + what
	default:
		return "cannot write " + what + ": " + err.Error()
	}
}
