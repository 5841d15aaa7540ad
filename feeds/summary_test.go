package feeds_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/feedcurator/feedcurator/feeds"
)

func TestSummarize(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"short enough", "本文介绍了Docker。", 50, "本文介绍了Docker。"},
		{"no limit", strings.Repeat("长", 500), 0, strings.Repeat("长", 500)},
		{"trimmed", "  空白。 ", 10, "空白。"},
		{"CJK full stop", "第一句话。第二句话很长很长很长。", 10, "第一句话。"},
		{"last boundary that fits", "一。二！三？四；五五五五五五", 8, "一。二！三？四；"},
		{"closing quote stays", "他说“好的。”然后走了很久很久很久", 10, "他说“好的。”"},
		{"closing bracket stays", "（这是括号里的话。）后面还有很多很多字", 10, "（这是括号里的话。）"},
		{"ASCII period and space", "Docker 1.12 is out. It brings swarm mode to everyone.", 30, "Docker 1.12 is out."},
		{"decimal is not an end", "Docker 1.12 brings swarm mode to everyone", 15, "Docker 1.12…"},
		{"ASCII at end of text within max", "One. Two three four five", 6, "One."},
		{"question and exclamation", "Really?! Yes, that is it indeed", 12, "Really?!"},
		{"mixed", "Kubernetes 1.3发布了。新版本支持多集群联邦。", 20, "Kubernetes 1.3发布了。"},
		{"no boundary: clause break", "本次分享论述的Master高可用方案主要基于社区的高可用方案，并做了两方面的优化提升", 32, "本次分享论述的Master高可用方案主要基于社区的高可用方案…"},
		{"no boundary: word break", "Weave Net is a container network that connects containers across hosts", 30, "Weave Net is a container…"},
		{"no boundary: hard cut", strings.Repeat("字", 40), 10, strings.Repeat("字", 9) + "…"},
		{"word break after a combining mark", "Cafe\u0301 cafe\u0301 cafe\u0301cafe\u0301", 6, "Cafe\u0301…"},
		{"hard cut never strips a combining mark", "Cafe\u0301cafe\u0301cafe\u0301", 5, "Caf…"},
		{"hard cut keeps a ZWJ sequence whole", "ab\U0001F469\u200d\U0001F4BBcdefgh", 5, "ab…"},
		{"tiny max", "abcdef", 1, "a"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := feeds.Summarize(tt.in, tt.max)
			if got != tt.want {
				t.Errorf("Summarize(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
			if tt.max > 0 && utf8.RuneCountInString(got) > tt.max {
				t.Errorf("%d runes, max %d", utf8.RuneCountInString(got), tt.max)
			}
		})
	}
}

func FuzzSummarize(f *testing.F) {
	for _, s := range []string{"第一句话。第二句话。", "One. Two. Three", "e\u0301\u0301\u0301", "a\u200db", "😀👍🏽", ""} {
		f.Add(s, 5)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if !utf8.ValidString(s) || max > 1000 || max < -1 {
			return
		}
		got := feeds.Summarize(s, max)
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 %q", got)
		}
		if max > 0 && utf8.RuneCountInString(got) > max {
			t.Fatalf("Summarize(%q, %d) = %q: too long", s, max, got)
		}
		body := strings.TrimSuffix(got, feeds.Ellipsis)
		if !strings.HasPrefix(strings.TrimSpace(s), body) {
			t.Fatalf("Summarize(%q, %d) = %q: not a prefix", s, max, got)
		}
	})
}
