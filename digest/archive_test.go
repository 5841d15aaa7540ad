package digest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedcurator/feedcurator/digest"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/testutil"
)

func parseFile(t *testing.T, path string, o digest.Options) *digest.ArchivedIssue {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	is, err := digest.ParseArchive(f, path, o)
	if err != nil {
		t.Fatal(err)
	}
	return is
}

// TestParseArchiveSeed reads seed 000, a real issue, back into its 13
// items in their sections, with every link resolved.
func TestParseArchiveSeed(t *testing.T) {
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "shared", "seeds", "000_*.txt"))
	if len(seeds) == 0 {
		t.Skip("seed 000 not found beside the project")
	}
	is := parseFile(t, seeds[0], seedOptions(t))
	for _, p := range is.Problems {
		t.Errorf("problem: %v", p)
	}
	if is.Week != (feeds.Week{Year: 2016, Week: 25}) || is.Title != "【20160701】一周业内技术动态" {
		t.Errorf("week %s, title %q; want 2016-W25, 【20160701】一周业内技术动态", is.Week, is.Title)
	}
	count := map[string]int{}
	for _, it := range is.Items {
		count[it.Section]++
		if !strings.HasPrefix(it.Link, "https://mp.weixin.qq.com/s?__biz=") || it.Summary == "" {
			t.Errorf("line %d %q: link %q, summary %q", it.Line, it.Title, it.Link, it.Summary)
		}
	}
	if len(is.Items) != 13 || count["containers"] != 4 || count["paas"] != 3 || count["industry"] != 3 || count["misc"] != 3 {
		t.Errorf("%d items, by section %v; want 13: 4 containers, 3 paas, 3 industry, 3 misc", len(is.Items), count)
	}
	first := is.Items[0]
	if first.Title != "浅谈Docker安全：技术、生态和最新的安全特性" || len(first.Related) != 1 ||
		first.Related[0].Title != "这些关于Docker的安全性信息 你确定都了解吗？" || !strings.Contains(first.Related[0].Link, "mid=2651856822") {
		t.Errorf("first item: %+v", first)
	}
	// "> 要点：" with a full-width colon, and a link inside the 要点.
	if s := is.Items[2].Summary; !strings.HasPrefix(s, "Docker官方将提供内置的编排") {
		t.Errorf("要点： of item 3: %q", s)
	}
	if s := is.Items[4].Summary; !strings.Contains(s, "主要基于社区的高可用方案的实践") {
		t.Errorf("要点 with a link: %q", s)
	}
}

// TestParseArchiveOtherSeeds: the other seeds are not issues in this
// shape. Reading them finds no items from unknown headings, reports the
// headings by line, and never fails but for a missing date.
func TestParseArchiveOtherSeeds(t *testing.T) {
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "shared", "seeds", "00[1-9]_*.txt"))
	if len(seeds) == 0 {
		t.Skip("seeds not found beside the project")
	}
	for _, path := range seeds {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		is, err := digest.ParseArchive(f, path, seedOptions(t))
		f.Close()
		if err != nil {
			if !errors.Is(err, digest.ErrNoDate) {
				t.Errorf("%s: %v", path, err)
			}
			continue
		}
		if len(is.Items) != 0 || len(is.Problems) == 0 {
			t.Errorf("%s: %d items, %d problems; want none, and problems", path, len(is.Items), len(is.Problems))
		}
		for _, p := range is.Problems {
			if p.Line <= 0 || p.Path != path {
				t.Errorf("%s: problem without its place: %+v", path, p)
			}
		}
	}
}

// TestParseArchiveMessy reads a hand-written issue with every kind of
// trouble against its golden JSON (refresh with -update).
func TestParseArchiveMessy(t *testing.T) {
	is := parseFile(t, filepath.Join("testdata", "messy.md"), seedOptions(t))
	got, err := json.MarshalIndent(is, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, filepath.Join("testdata", "messy.json.golden"), append(got, '\n'), *update)
	lines := map[int]bool{}
	for _, p := range is.Problems {
		lines[p.Line] = true
	}
	// The item before any section, the undefined reference, the stray
	// paragraph, the unknown section, the item without a title.
	for _, want := range []int{11, 30, 40, 42, 52} {
		if !lines[want] {
			t.Errorf("no problem reported at line %d; problems: %v", want, is.Problems)
		}
	}
	if len(is.Problems) != 5 {
		t.Errorf("%d problems, want 5: %v", len(is.Problems), is.Problems)
	}
}

// TestParseArchiveRoundTrip: what Markdown writes, ParseArchive reads back,
// escapes and all.
func TestParseArchiveRoundTrip(t *testing.T) {
	o := seedOptions(t)
	b := newBuilder(t, &memStore{items: seedItems(t)}, o)
	built, err := b.Build(context.Background(), feeds.Week{Year: 2016, Week: 25})
	if err != nil {
		t.Fatal(err)
	}
	for i := range built.Sections[0].Items {
		// Every character Markdown escapes, in a title and a summary.
		if i == 0 {
			e := &built.Sections[0].Items[0]
			e.Title = `a\b*c_d[e]f<g>h|i{{j}}k~l&amp;m$$n#o!p"q'r--s...t` + "`u`"
			e.Summary = e.Title + " {% raw %} [x](y) <script>"
		}
	}
	md := b.Markdown(built)
	is, err := digest.ParseArchive(bytes.NewReader(md), "built.md", o)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range is.Problems {
		t.Errorf("problem: %v", p)
	}
	if is.Week != built.Week {
		t.Errorf("week %s, want %s", is.Week, built.Week)
	}
	var want []digest.ArchivedItem
	for _, s := range built.Sections {
		for _, e := range s.Items {
			want = append(want, digest.ArchivedItem{Section: s.ID, Title: e.Title, Summary: e.Summary, Link: e.Link})
		}
	}
	if len(is.Items) != len(want) {
		t.Fatalf("%d items, want %d", len(is.Items), len(want))
	}
	for i, got := range is.Items {
		got.Line = 0
		w := want[i]
		w.Title, w.Summary = strings.Join(strings.Fields(w.Title), " "), strings.Join(strings.Fields(w.Summary), " ")
		if got.Section != w.Section || got.Title != w.Title || got.Summary != w.Summary || got.Link != w.Link {
			t.Errorf("item %d:\n got %+v\nwant %+v", i, got, w)
		}
	}
}

// TestParseArchiveTestdata: the past issues under testdata/archive read
// without a problem, each with at least ten items.
func TestParseArchiveTestdata(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "archive", "*.md"))
	if len(paths) < 10 {
		t.Fatalf("%d past issues in testdata/archive, want at least 10", len(paths))
	}
	o := seedOptions(t)
	weeks := map[feeds.Week]string{}
	for _, path := range paths {
		is := parseFile(t, path, o)
		for _, p := range is.Problems {
			t.Errorf("problem: %v", p)
		}
		if len(is.Items) < 10 {
			t.Errorf("%s: %d items", path, len(is.Items))
		}
		if other, dup := weeks[is.Week]; dup {
			t.Errorf("%s and %s are both of %s", path, other, is.Week)
		}
		weeks[is.Week] = path
	}
}

func FuzzParseArchive(f *testing.F) {
	for _, path := range []string{filepath.Join("testdata", "messy.md"), filepath.Join("testdata", "2016-W25.md.golden")} {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("---\ndate: 2016-07-01\n---\n### 大杂烩\n#### 1、x\n> 要点：[a][b]\n原文链接：[c] [d]\n[d]: <>\n"))
	o := digest.DefaultOptions()
	o.Sections = sections
	f.Fuzz(func(t *testing.T, data []byte) {
		is, err := digest.ParseArchive(bytes.NewReader(data), "fuzz.md", o)
		if err != nil {
			return
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, it := range is.Items {
			if it.Title == "" || it.Line < 1 || it.Line > lines {
				t.Errorf("item %+v", it)
			}
			known := false
			for _, s := range sections {
				known = known || s.ID == it.Section
			}
			if !known {
				t.Errorf("item in section %q", it.Section)
			}
		}
		for _, p := range is.Problems {
			if p.Line < 1 || p.Line > lines || p.Reason == "" {
				t.Errorf("problem %+v", p)
			}
		}
		if !is.Week.Valid() {
			t.Errorf("week %v", is.Week)
		}
	})
}

// BenchmarkParseArchive reads the past issues of testdata/archive, and an
// issue whose one item has a 要点 of 60,000 quote lines (3.6 MB): the cost
// grows with the size of the file, not with its square.
func BenchmarkParseArchive(b *testing.B) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "archive", "*.md"))
	var files [][]byte
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, data)
	}
	long := "---\ndate: 2017-01-06\n---\n### 大杂烩\n#### 1、x\n> 要点：" +
		strings.Repeat("> "+strings.Repeat("一二三四五六七八九十", 5)+"\n", 60000)
	o := digest.DefaultOptions()
	o.Sections = sections
	for _, c := range []struct {
		name  string
		files [][]byte
	}{{"issues", files}, {"long", [][]byte{[]byte(long)}}} {
		b.Run(c.name, func(b *testing.B) {
			n := 0
			for _, f := range c.files {
				n += len(f)
			}
			b.SetBytes(int64(n))
			for i := 0; i < b.N; i++ {
				for _, f := range c.files {
					if _, err := digest.ParseArchive(bytes.NewReader(f), "x.md", o); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
