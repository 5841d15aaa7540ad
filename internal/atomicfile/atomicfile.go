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
func Write(path string, data []byte, perm os.FileMode) (bool, error) {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return false, err
	}
	tmp := f.Name()
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
	return true, nil
}
