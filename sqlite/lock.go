package sqlite

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ErrLocked is returned (wrapped in a *LockError) by LockDaemon when
// another daemon holds the database.
var ErrLocked = errors.New("database is in use by another daemon")

// LockError names the daemon that holds a database's lock.
type LockError struct {
	Path    string    // the lock file
	PID     int       // the holder's process ID; 0 if it was not written yet
	Started time.Time // when the holder took the lock; zero if unknown
}

func (e *LockError) Error() string {
	holder := "pid unknown"
	if e.PID != 0 {
		holder = "pid " + strconv.Itoa(e.PID)
	}
	if !e.Started.IsZero() {
		holder += ", started " + e.Started.Format(time.RFC3339)
	}
	return fmt.Sprintf("%v (%s; lock file %s)", ErrLocked, holder, e.Path)
}

func (e *LockError) Unwrap() error { return ErrLocked }

// LockPath returns the file LockDaemon locks for the database at path.
func LockPath(path string) string { return path + ".lock" }

// LockDaemon takes the database's daemon lock, which it holds until Close:
// one daemon polls a database's sources at a time. If another process (or
// another DB of this one) holds it, it returns a *LockError naming the
// holder's process ID and start time. The lock is an advisory lock
// (flock) on LockPath, which the operating system drops when the holder
// exits, however it exits; the file stays, holding the last holder's
// details. Admin commands, which read and edit the database beside the
// daemon, do not take it. Calling it again on a DB that holds the lock
// does nothing.
func (db *DB) LockDaemon() error {
	db.lockMu.Lock()
	defer db.lockMu.Unlock()
	if db.lock != nil {
		return nil
	}
	p := LockPath(db.path)
	f, err := lockFile(p)
	if errors.Is(err, errHeld) {
		return lockHolder(p)
	} else if err != nil {
		return fmt.Errorf("lock database %s: %w", db.path, err)
	}
	info := fmt.Sprintf("pid %d\nstarted %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339))
	err = f.Truncate(0)
	if err == nil {
		_, err = f.WriteAt([]byte(info), 0)
	}
	if err != nil {
		unlockFile(f)
		return fmt.Errorf("lock database %s: write %s: %w", db.path, p, err)
	}
	db.lock = f
	return nil
}

// unlockDaemon releases the daemon lock if db holds it.
func (db *DB) unlockDaemon() error {
	db.lockMu.Lock()
	defer db.lockMu.Unlock()
	if db.lock == nil {
		return nil
	}
	f := db.lock
	db.lock = nil
	// Emptied first, so that the file never names a process that has let
	// go; the next holder writes its own.
	err := f.Truncate(0)
	if uerr := unlockFile(f); err == nil {
		err = uerr
	}
	if err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	return nil
}

// errHeld is lockFile's answer when another holds the lock.
var errHeld = errors.New("lock held")

// lockHolder reads what the holder of the lock file at p wrote of itself.
func lockHolder(p string) error {
	e := &LockError{Path: p}
	b, err := os.ReadFile(p)
	if err != nil {
		return e
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "pid":
			e.PID, _ = strconv.Atoi(v)
		case "started":
			e.Started, _ = time.Parse(time.RFC3339, v)
		}
	}
	return e
}
