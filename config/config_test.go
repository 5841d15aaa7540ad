package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/feeds"
)

func TestExampleConfig(t *testing.T) {
	cfg, err := config.Load(filepath.Join("..", "config.example.yaml"))
	if err != nil {
		t.Fatalf("config.example.yaml does not validate:\n%v", err)
	}
	var ids []string
	for _, s := range cfg.Sections {
		ids = append(ids, s.ID)
	}
	if got := strings.Join(ids, ","); got != "containers,paas,industry,misc" {
		t.Errorf("sections = %s, want containers,paas,industry,misc", got)
	}
	if cfg.Curator.Fallback != "misc" {
		t.Errorf("fallback = %q, want misc", cfg.Curator.Fallback)
	}
	var zh, en bool
	for _, s := range cfg.Sources {
		for _, tag := range s.Tags {
			zh = zh || tag == "zh"
			en = en || tag == "en"
		}
	}
	if !zh || !en {
		t.Errorf("example sources should include Chinese and English ones (zh=%v en=%v)", zh, en)
	}
}

const minimal = `
database: test.db
sources:
  - name: a
    url: https://a.example/feed
sections:
  - id: news
    title: News
    rules:
      - keywords: [launch]
  - id: misc
    title: Misc
`

func TestParseMinimalUsesDefaults(t *testing.T) {
	cfg, err := config.Parse(strings.NewReader(minimal), "min.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Fetch.Interval.Duration != 30*time.Minute || cfg.Publish.Items != 50 || cfg.Listen != "127.0.0.1:8080" {
		t.Errorf("defaults not applied: %+v", cfg)
	}
	rs, err := cfg.Ruleset()
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Sections()) != 2 {
		t.Errorf("sections = %d", len(rs.Sections()))
	}
}

func TestParseDurationsAndSizes(t *testing.T) {
	src := minimal + `
fetch:
  interval: 2d
  timeout: 90s
  max_body_size: 512KiB
`
	cfg, err := config.Parse(strings.NewReader(src), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Fetch.Interval.Duration != 48*time.Hour || cfg.Fetch.Timeout.Duration != 90*time.Second || cfg.Fetch.MaxBodySize != 512<<10 {
		t.Errorf("got %v %v %v", cfg.Fetch.Interval, cfg.Fetch.Timeout, cfg.Fetch.MaxBodySize)
	}
}

// TestParseErrors checks that each kind of mistake is reported with the file,
// the line and (where it applies) the field.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want []string // substrings of the error
		is   error
	}{
		{"unknown top-level key", "databse: x.db\n" + minimal, []string{"bad.yaml:1:", "databse"}, nil},
		{"unknown source key", strings.Replace(minimal, "    url: https://a.example/feed", "    url: https://a.example/feed\n    intervall: 5m", 1), []string{"bad.yaml:6:", "intervall"}, nil},
		{"bad duration", minimal + "fetch:\n  interval: 5 minutes\n", []string{"bad.yaml:14:", `invalid duration "5 minutes"`}, nil},
		{"zero duration", minimal + "fetch:\n  timeout: 0s\n", []string{"bad.yaml:14:", "greater than 0"}, nil},
		{"negative duration", strings.Replace(minimal, "    url: https://a.example/feed", "    url: https://a.example/feed\n    interval: -5m", 1), []string{"bad.yaml:6:", "invalid duration"}, nil},
		{"wrong type", minimal + "publish:\n  items: many\n", []string{"bad.yaml:14:", "many"}, nil},
		{"bad size", minimal + "fetch:\n  max_body_size: lots\n", []string{"bad.yaml:14:", "invalid size"}, nil},
		{"relative url", strings.Replace(minimal, "https://a.example/feed", "/feed.xml", 1), []string{"bad.yaml:5:", "sources[0].url", "not an absolute"}, config.ErrInvalidURL},
		{"ftp url", strings.Replace(minimal, "https://a.example/feed", "ftp://a.example/feed", 1), []string{"sources[0].url"}, config.ErrInvalidURL},
		{"missing url", strings.Replace(minimal, "    url: https://a.example/feed\n", "", 1), []string{"bad.yaml:4:", "sources[0].url", "is required"}, config.ErrRequired},
		{"duplicate source url", strings.Replace(minimal, "sources:\n", "sources:\n  - name: b\n    url: HTTPS://A.example/feed\n", 1), []string{"bad.yaml:7:", "sources[1].url", "duplicate"}, config.ErrDuplicate},
		{"duplicate source url, default port", strings.Replace(minimal, "sources:\n", "sources:\n  - name: b\n    url: https://a.example:443/feed#x\n", 1), []string{"sources[1].url", "duplicate"}, config.ErrDuplicate},
		{"duplicate source name", strings.Replace(minimal, "sources:\n", "sources:\n  - name: a\n    url: https://b.example/feed\n", 1), []string{"sources[1].name", "duplicate"}, config.ErrDuplicate},
		{"duplicate section id", strings.Replace(minimal, "id: misc", "id: news", 1), []string{"bad.yaml:11:", "sections[1].id", "duplicate section id"}, curator.ErrDuplicateID},
		{"bad regex", strings.Replace(minimal, "keywords: [launch]", "regex: ['(unclosed']", 1), []string{"bad.yaml:10:", "sections[0].rules[0].regex[0]", "does not compile"}, curator.ErrBadRegex},
		{"unknown field in rule", strings.Replace(minimal, "keywords: [launch]", "keywords: [launch]\n        fields: [titel]", 1), []string{"sections[0].rules[0].fields[0]", "titel"}, curator.ErrUnknownField},
		{"empty rule", strings.Replace(minimal, "keywords: [launch]", "weight: 2", 1), []string{"sections[0].rules[0]", "no keywords"}, curator.ErrEmptyRule},
		{"unknown fallback", minimal + "curator:\n  fallback: other\n", []string{"curator.fallback", "no such section"}, curator.ErrUnknownTarget},
		{"bad listen", minimal + "listen: localhost\n", []string{"bad.yaml:13:", "listen"}, config.ErrInvalidAddr},
		{"listen port out of range", minimal + "listen: 127.0.0.1:99999\n", []string{"bad.yaml:13:", "listen"}, config.ErrInvalidAddr},
		{"source port out of range", strings.Replace(minimal, "https://a.example/feed", "https://a.example:99999/feed", 1), []string{"bad.yaml:5:", "sources[0].url"}, config.ErrInvalidURL},
		{"source port zero", strings.Replace(minimal, "https://a.example/feed", "https://a.example:0/feed", 1), []string{"sources[0].url"}, config.ErrInvalidURL},
		{"hub port out of range", minimal + "publish:\n  hub: https://hub.example:70000/\n", []string{"publish.hub"}, config.ErrInvalidURL},
		{"bad log level", minimal + "log_level: loud\n", []string{"log_level"}, config.ErrInvalidLevel},
		{"no sources", "sections:\n  - id: misc\n    title: Misc\n", []string{"sources", "is required"}, config.ErrRequired},
		{"no sections", "sources:\n  - name: a\n    url: https://a.example/\n", []string{"sections"}, curator.ErrNoSections},
		{"workers out of range", minimal + "fetch:\n  workers: 0\n", []string{"fetch.workers"}, config.ErrOutOfRange},
		{"items out of range", minimal + "publish:\n  items: -1\n", []string{"publish.items"}, config.ErrOutOfRange},
		{"not yaml", "sources: [\n", []string{"bad.yaml:"}, nil},
		{"empty file", "", []string{"empty"}, config.ErrEmpty},
		{"tabs", "sources:\n\t- name: a\n", []string{"bad.yaml:"}, nil},
		{"section without title", strings.Replace(minimal, "    title: News\n", "", 1), []string{"sections[0].title", "is required"}, config.ErrRequired},
		{"unknown source section", strings.Replace(minimal, "    url: https://a.example/feed", "    url: https://a.example/feed\n    section: newz", 1), []string{"bad.yaml:6:", "sources[0].section", "no such section"}, curator.ErrUnknownTarget},
		{"unknown bias section", strings.Replace(minimal, "    url: https://a.example/feed", "    url: https://a.example/feed\n    bias:\n      news: 1\n      newz: 2", 1), []string{"bad.yaml:8:", "sources[0].bias.newz", "no such section"}, curator.ErrUnknownTarget},
		{"bias not a number", strings.Replace(minimal, "    url: https://a.example/feed", "    url: https://a.example/feed\n    bias: {news: lots}", 1), []string{"bad.yaml:6:", "lots"}, nil},
		{"infinite bias", strings.Replace(minimal, "    url: https://a.example/feed", "    url: https://a.example/feed\n    bias: {news: .inf}", 1), []string{"sources[0].bias.news", "finite"}, curator.ErrBadBias},
		{"negative threshold", minimal + "curator:\n  threshold: -1\n", []string{"bad.yaml:14:", "curator.threshold"}, curator.ErrBadThreshold},
		{"bad exclude regex", minimal + "curator:\n  exclude:\n    - keywords: [ad]\n    - any:\n        - regex: ['(']\n", []string{"bad.yaml:17:", "curator.exclude[1].any[0].regex[0]", "does not compile"}, curator.ErrBadRegex},
		{"exclude weight", minimal + "curator:\n  exclude:\n    - keywords: [ad]\n      weight: 2\n", []string{"bad.yaml:16:", "curator.exclude[0].weight"}, curator.ErrWeightNotAllowed},
		{"unknown exclude key", minimal + "curator:\n  exclude:\n    - keywordz: [ad]\n", []string{"bad.yaml:15:", "keywordz"}, nil},
		{"nested rule error", strings.Replace(minimal, "keywords: [launch]", "keywords: [launch]\n        all:\n          - keywords: [x]\n          - regex: ['[']", 1), []string{"bad.yaml:13:", "sections[0].rules[0].all[1].regex[0]"}, curator.ErrBadRegex},
		{"nested weight", strings.Replace(minimal, "keywords: [launch]", "keywords: [launch]\n        none:\n          - keywords: [x]\n            weight: 3", 1), []string{"bad.yaml:13:", "sections[0].rules[0].none[0].weight"}, curator.ErrWeightNotAllowed},
		{"none-only rule", strings.Replace(minimal, "keywords: [launch]", "none:\n          - keywords: [x]", 1), []string{"bad.yaml:10:", "sections[0].rules[0]", "none alone"}, curator.ErrNoPositive},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse(strings.NewReader(tc.yaml), "bad.yaml")
			if err == nil {
				t.Fatalf("no error for:\n%s", tc.yaml)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v does not wrap %v", err, tc.is)
			}
		})
	}
}

func TestParseReportsAllProblemsAtOnce(t *testing.T) {
	src := `
database: ""
listen: nowhere
sources:
  - name: a
    url: not a url
  - name: a
    url: https://a.example/
sections:
  - id: x
    title: X
    rules:
      - regex: ['[']
  - id: x
    title: Y
`
	_, err := config.Parse(strings.NewReader(src), "many.yaml")
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
	if len(lines) != 6 {
		t.Errorf("want 6 problems, got %d:\n%s", len(lines), err)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "many.yaml:") {
			t.Errorf("line %q does not name the file", l)
		}
	}
}

// TestParseCuratorKeys reads the keys of the rule language, exclude rules
// and per-source settings, and checks that they reach the ruleset.
func TestParseCuratorKeys(t *testing.T) {
	src := `
sources:
  - name: Kube
    url: https://k.example/feed
    section: paas
  - name: Money
    url: https://m.example/feed
    bias: {industry: 1.5}
curator:
  threshold: 2
  exclude:
    - name: ads
      fields: [title]
      keywords: [广告, sponsored]
sections:
  - id: paas
    title: PaaS
    rules:
      - name: kubernetes in production
        weight: 2
        all:
          - keywords: [kubernetes, k8s]
          - any:
              - keywords: [生产, production]
              - regex: ['\d+ nodes']
        none:
          - keywords: [招聘]
  - id: industry
    title: 业内动态
    rules:
      - keywords: [funding, 融资]
  - id: misc
    title: 大杂烩
`
	cfg, err := config.Parse(strings.NewReader(src), "keys.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sources[0].Section != "paas" || cfg.Sources[1].Bias["industry"] != 1.5 || len(cfg.Curator.Exclude) != 1 {
		t.Errorf("sources %+v, exclude %+v", cfg.Sources, cfg.Curator.Exclude)
	}
	r := cfg.Sections[0].Rules[0]
	if len(r.All) != 2 || len(r.All[1].Any) != 2 || r.All[1].Any[1].Regex[0] != `\d+ nodes` || len(r.None) != 1 {
		t.Errorf("rule %+v", r)
	}
	rs, err := cfg.Ruleset()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		it       feeds.Item
		section  string
		excluded bool
	}{
		{feeds.Item{Title: "K8s in production"}, "paas", false},
		{feeds.Item{Title: "Kubernetes with 5000 nodes"}, "paas", false},
		{feeds.Item{Title: "Kubernetes 招聘 production"}, "misc", false},
		{feeds.Item{Title: "SIG notes", Stored: feeds.Stored{SourceName: "Kube"}}, "paas", false},
		{feeds.Item{Summary: "funding", Stored: feeds.Stored{SourceName: "Money"}}, "industry", false}, // 1 + 1.5 >= 2
		{feeds.Item{Summary: "funding"}, "misc", false},
		{feeds.Item{Title: "Sponsored: k8s in production"}, "paas", true},
	} {
		d := rs.Classify(&tc.it)
		if d.Section != tc.section || d.Excluded != tc.excluded {
			t.Errorf("%+v: got %+v, want %s excluded=%v", tc.it, d, tc.section, tc.excluded)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := config.Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("got %v", err)
	}
}

func FuzzParse(f *testing.F) {
	example, _ := os.ReadFile(filepath.Join("..", "config.example.yaml"))
	f.Add(string(example))
	f.Add(minimal)
	f.Add("sources: [\n")
	f.Fuzz(func(t *testing.T, src string) {
		cfg, err := config.Parse(strings.NewReader(src), "fuzz.yaml")
		if err == nil {
			if _, err := cfg.Ruleset(); err != nil {
				t.Fatalf("valid config whose rules do not compile: %v", err)
			}
			return
		}
		if !strings.Contains(err.Error(), "fuzz.yaml") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}

// TestLoadRefusesWhatIsNotAConfigFile: a FIFO would block for ever (and
// ignore SIGTERM while it did), a huge file would exhaust memory.
func TestLoadRefusesWhatIsNotAConfigFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := config.Load(fifo); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, config.ErrNotRegular) {
			t.Errorf("Load(fifo) = %v, want ErrNotRegular", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Load(fifo) still blocked after a minute")
	}

	if _, err := config.Load(dir); !errors.Is(err, config.ErrNotRegular) {
		t.Errorf("Load(folder) = %v, want ErrNotRegular", err)
	}

	big := filepath.Join(dir, "big.yaml")
	data := []byte(minimal + "# " + strings.Repeat("x", config.MaxFileSize) + "\n")
	if err := os.WriteFile(big, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(big); !errors.Is(err, config.ErrTooLarge) {
		t.Errorf("Load(%d bytes) = %v, want ErrTooLarge", len(data), err)
	}
	if _, err := config.Parse(strings.NewReader(string(data)), "big.yaml"); !errors.Is(err, config.ErrTooLarge) {
		t.Errorf("Parse(%d bytes) = %v, want ErrTooLarge", len(data), err)
	}

	link := filepath.Join(dir, "link.yaml")
	real := filepath.Join(dir, "real.yaml")
	if err := os.WriteFile(real, []byte(minimal), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(link); err != nil {
		t.Errorf("Load(symlink to a config) = %v", err)
	}
}
