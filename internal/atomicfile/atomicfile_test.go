package atomicfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/feedcurator/feedcurator/internal/atomicfile"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.txt")
	for i, tc := range []struct {
		data    string
		changed bool
	}{{"one", true}, {"one", false}, {"two", true}} {
		changed, err := atomicfile.Write(p, []byte(tc.data), 0o640)
		if err != nil || changed != tc.changed {
			t.Fatalf("write %d: changed %v, err %v", i, changed, err)
		}
		got, _ := os.ReadFile(p)
		if string(got) != tc.data {
			t.Fatalf("write %d: file holds %q", i, got)
		}
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v", fi.Mode())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
	if _, err := atomicfile.Write(filepath.Join(dir, "missing", "f"), []byte("x"), 0o644); err == nil {
		t.Error("no error for a missing folder")
	}
}
