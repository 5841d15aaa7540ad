package curator_test

import (
	"testing"

	"github.com/feedcurator/feedcurator/curator"
)

func TestSuggest(t *testing.T) {
	rs, err := curator.Compile([]curator.SectionSpec{
		{ID: "containers", Title: "容器", Rules: []curator.RuleSpec{{Keywords: []string{"docker"}}}},
		{ID: "industry", Title: "业内"},
		{ID: "misc", Title: "其他"},
	}, curator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ex := []curator.Labelled{
		{Title: "Docker 镜像仓库的高可用", Section: "containers"},
		{Title: "私有镜像仓库选型", Section: "containers"},
		{Title: "镜像仓库与 Docker Hub 限流", Section: "containers"},
		{Title: "容器镜像瘦身", Section: "containers"},
		{Title: "某公司发布第三季度财报", Section: "industry", Link: "https://news.example/a"},
		{Title: "财报：云业务增长", Section: "industry", Link: "https://news.example/b"},
		{Title: "财报季来了", Section: "industry", Link: "https://news.example/c"},
		{Title: "镜像站的故事", Section: "misc"},
	}
	got := curator.Suggest(rs, ex, 3, 0.7, 5)
	by := map[string]curator.Suggestion{}
	for _, s := range got {
		by[s.Section+" "+s.Keyword] = s
		if s.Support < 3 || s.Precision < 0.7 {
			t.Errorf("%+v: below the bounds asked for", s)
		}
	}
	if s, ok := by["containers 仓库"]; !ok || s.Support != 3 || s.Others != 0 {
		t.Errorf("containers 仓库: %+v (%v), want support 3, others 0; all: %+v", s, ok, got)
	}
	if s, ok := by["containers 镜像"]; !ok || s.Support != 4 || s.Others != 1 || s.Precision != 0.8 {
		t.Errorf("containers 镜像: %+v (%v), want 4 of 5", s, ok)
	}
	if _, ok := by["industry 财报"]; !ok {
		t.Errorf("industry 财报 not suggested: %+v", got)
	}
	if s, ok := by["industry news.example"]; !ok || len(s.Fields) != 1 || s.Fields[0] != "host" {
		t.Errorf("the host of every industry item not suggested as a host keyword: %+v", got)
	}
	for k := range by {
		if k == "containers docker*" {
			t.Error("suggested docker, which the containers rules already match")
		}
	}
	if r := by["industry 财报"].Rule(); len(r.Keywords) != 1 || r.Keywords[0] != "财报" {
		t.Errorf("rule of a suggestion: %+v", r)
	}
}
