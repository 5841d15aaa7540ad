package curator

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestT2STable checks the generated table (t2s_table.go): pairs in rune
// order, no rune mapped to itself, and folding idempotent, so that a keyword
// folded once meets text folded once.
func TestT2STable(t *testing.T) {
	s := t2sPairs
	var prev rune
	n := 0
	for len(s) > 0 {
		k, a := utf8.DecodeRuneInString(s)
		v, b := utf8.DecodeRuneInString(s[a:])
		s = s[a+b:]
		n++
		if k <= prev {
			t.Fatalf("pair %d: %c after %c", n, k, prev)
		}
		prev = k
		if k == v || k == utf8.RuneError || v == utf8.RuneError {
			t.Errorf("pair %d: %c→%c", n, k, v)
		}
		once := string(fold(nil, string(k)))
		if once != string(v) {
			t.Errorf("fold(%c) = %s, want %c", k, once, v)
		}
		if twice := string(fold(nil, once)); twice != once {
			t.Errorf("fold not idempotent: %c→%s→%s", k, once, twice)
		}
	}
	if n < 2500 {
		t.Errorf("only %d pairs", n)
	}
}

// TestT2STableMatchesOpenCC regenerates the table's pairs from OpenCC's
// dictionary when the module is in the module cache (go generate puts it
// there), and skips otherwise.
func TestT2STableMatchesOpenCC(t *testing.T) {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Skip(err)
	}
	path := filepath.Join(strings.TrimSpace(string(out)), "github.com", "longbridgeapp", "opencc@v0.3.13", "dictionary", "TSCharacters.txt")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("OpenCC dictionary not in the module cache (run go generate ./curator): %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	checked := 0
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "\t")
		first, _, _ := strings.Cut(v, " ")
		if !ok || utf8.RuneCountInString(k) != 1 || utf8.RuneCountInString(first) != 1 {
			continue
		}
		want := string(fold(nil, first)) // chains resolved
		if got := string(fold(nil, k)); got != want && k != first {
			t.Errorf("fold(%s) = %s, want %s", k, got, want)
		}
		checked++
	}
	if checked < 2500 {
		t.Errorf("checked only %d entries", checked)
	}
}

func TestFoldWidthAndCase(t *testing.T) {
	for in, want := range map[string]string{
		"ＤＯＣＫＥＲ　Ｋ８Ｓ":     "docker k8s",
		"Kubernetes，容器！": "kubernetes,容器!",
		"ÉCOLE":          "école",
		"開放中文轉換":         "开放中文转换",
		"\xff":           "\ufffd",
	} {
		if got := string(fold(nil, in)); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}
