package curator_test

import (
	"testing"

	"github.com/feedcurator/feedcurator/curator"
)

func TestTitleKey(t *testing.T) {
	same := [][]string{
		{"Docker 1.12 正式发布：内置编排", "docker 1.12正式发布 —— 内置编排！", "Docker 1.12 正式發佈：內置編排"},
		{"Microsoft acquires GitHub for $7.5 billion", "Microsoft Acquires GitHub for $7.5 Billion - TechCrunch", "MICROSOFT ACQUIRES GITHUB FOR $7.5 BILLION | The Verge"},
		{"Ｋｕｂｅｒｎｅｔｅｓ １．３ 发布", "Kubernetes 1.3 发布"},
	}
	for _, g := range same {
		want := curator.TitleKey(g[0])
		if want == "" {
			t.Fatalf("%q: empty key", g[0])
		}
		for _, s := range g[1:] {
			if got := curator.TitleKey(s); got != want {
				t.Errorf("TitleKey(%q) = %q, want %q", s, got, want)
			}
		}
	}
	for _, short := range []string{"周报", "Weekly", "Go 1.22", "   ", ""} {
		if k := curator.TitleKey(short); k != "" {
			t.Errorf("TitleKey(%q) = %q, want empty (too short to identify a story)", short, k)
		}
	}
	if curator.TitleKey("Docker 1.12 正式发布：内置编排") == curator.TitleKey("Docker 1.13 正式发布：内置编排") {
		t.Error("different versions compare equal")
	}
}

func FuzzTitleKey(f *testing.F) {
	f.Add("Docker 1.12 正式发布 - InfoQ")
	f.Add("\xff\xfe - x")
	f.Fuzz(func(t *testing.T, s string) {
		k := curator.TitleKey(s)
		if k != "" && curator.TitleKey(k) != k {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, k, curator.TitleKey(k))
		}
	})
}
