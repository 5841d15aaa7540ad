package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/feedcurator/feedcurator/config"
)

// TestDeskPasswd: desk passwd writes a bcrypt hash of the password into the
// configuration, keeping every other byte; a second run replaces it; a
// password too short, or a file it cannot edit, changes nothing.
func TestDeskPasswd(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	orig := "# the weekly\ndatabase: x.db   # beside the file\nsources:\n  - {name: a, url: \"https://a.example/feed\"}\n\nsections:\n  - id: misc\n    title: 大杂烩\n"
	if err := os.WriteFile(path, []byte(orig), 0o640); err != nil {
		t.Fatal(err)
	}
	pwFile := func(pw string) string {
		p := filepath.Join(dir, "pw")
		if err := os.WriteFile(p, []byte(pw), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	hash := func() string {
		t.Helper()
		cfg, err := config.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Desk.PasswordHash
	}
	for _, pw := range []string{"correct horse 电池 staple", "another one"} {
		out, errOut, code := run(t, "desk", "passwd", "--config", path, "--password-file", pwFile(pw+"\nsecond line\n"))
		if code != 0 || !strings.Contains(out, "set the desk's password") {
			t.Fatalf("desk passwd: exit %d\n%s%s", code, out, errOut)
		}
		if err := bcrypt.CompareHashAndPassword([]byte(hash()), []byte(pw)); err != nil {
			t.Errorf("the hash written does not take %q: %v", pw, err)
		}
		got, _ := os.ReadFile(path)
		if !strings.HasPrefix(string(got), orig) || strings.Count(string(got), "password_hash") != 1 {
			t.Errorf("the file after desk passwd:\n%s", got)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
			t.Errorf("the file's mode became %v (%v)", fi.Mode(), err)
		}
	}
	before, _ := os.ReadFile(path)
	if _, errOut, code := run(t, "desk", "passwd", "--config", path, "--password-file", pwFile("short\n")); code == 0 || !strings.Contains(errOut, "too short") {
		t.Errorf("a short password: exit %d, %s", code, errOut)
	}
	if _, errOut, code := run(t, "desk", "passwd", "--config", path, "--password-file", pwFile("\n")); code == 0 || !strings.Contains(errOut, "no password") {
		t.Errorf("an empty password file: exit %d, %s", code, errOut)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("a refused password changed the file:\n%s", after)
	}
	flow := filepath.Join(dir, "flow.yaml")
	os.WriteFile(flow, []byte(orig+"desk: {allow_remote: false}\n"), 0o644)
	if _, errOut, code := run(t, "desk", "passwd", "--config", flow, "--password-file", pwFile("long enough\n")); code == 0 || !strings.Contains(errOut, "by hand") {
		t.Errorf("a flow-style desk section: exit %d, %s", code, errOut)
	}
	if _, _, code := run(t, "desk", "-h"); code != 0 {
		t.Errorf("desk -h exits %d", code)
	}
}
