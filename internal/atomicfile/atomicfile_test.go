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

// TestWriteThroughSymlink: a configuration kept as a symbolic link (into a
// dotfiles repository, say) stays a link, and its target changes.
func TestWriteThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.yaml")
	link := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, err := atomicfile.Write(link, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced by a plain file (%v, %v)", fi.Mode(), err)
	}
	if got, _ := os.ReadFile(target); string(got) != "new" {
		t.Errorf("target holds %q", got)
	}
}

// TestWriteAfterAKill: a write killed before its rename leaves its temporary
// file; the next write reuses it and leaves nothing behind.
func TestWriteAfterAKill(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.txt")
	if err := os.WriteFile(filepath.Join(dir, ".f.txt.tmp"), []byte("half a wri"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := atomicfile.Write(p, []byte("whole"), 0o644); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != "f.txt" {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("files after the write: %v, want [f.txt]", names)
	}
}
