// Package atomicfile replaces files so that a reader (a web server, Jekyll,
// an editor) sees the old content or the new, never a part.
package atomicfile

import (
	"bytes"
	"os"
	"path/filepath"
)

// Write replaces path with data through a temporary file in the same folder,
// synced before the rename, with permissions perm. It reports false, writing
// nothing, when path already holds data.
//
// A symbolic link is followed: the file it points to is replaced and the
// link stays. The temporary file has a fixed name (".NAME.tmp" beside the
// file), so a process killed mid-write leaves at most that one file, which
// the next write reuses.
func Write(path string, data []byte, perm os.FileMode) (bool, error) {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	dir := filepath.Dir(path)
	tmp := filepath.Join(dir, "."+filepath.Base(path)+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return false, err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, perm)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return false, err
	}
	// The rename is durable once the folder is synced.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return true, nil
}
