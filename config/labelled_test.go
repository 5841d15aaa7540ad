package config

import (
	"errors"
	"strings"
	"testing"
)

func TestLoadLabelled(t *testing.T) {
	items, err := LoadLabelled(strings.NewReader(`
- title: 浅谈Docker安全
  summary: 容器安全
  section: containers
- title: Microsoft acquires Deis
  section: industry
  source: TechCrunch
  tags: [en, business]
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Line != 2 || items[1].Line != 5 || items[1].Source != "TechCrunch" || items[1].Tags[1] != "business" {
		t.Errorf("items %+v", items)
	}
	it := items[1].Item()
	if it.SourceName != "TechCrunch" || it.Title != "Microsoft acquires Deis" {
		t.Errorf("item %+v", it)
	}

	for _, tc := range []struct{ name, yaml, want string }{
		{"missing section", "- title: a\n- title: b\n  section: x\n- title: c\n", "line 4: item 2"},
		{"missing title", "- section: x\n", "title is required"},
		{"unknown key", "- title: a\n  section: x\n  sectoin: y\n", "sectoin"},
		{"not a list", "title: a\n", "cannot unmarshal"},
	} {
		_, err := LoadLabelled(strings.NewReader(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrLabelled) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
	if items, err := LoadLabelled(strings.NewReader("")); err != nil || len(items) != 0 {
		t.Errorf("empty file: %v %v", items, err)
	}
}
