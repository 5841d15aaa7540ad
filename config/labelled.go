package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/feedcurator/feedcurator/curator"
)

// labelled is the file form of a curator.Labelled.
type labelled struct {
	Title   string   `yaml:"title"`
	Summary string   `yaml:"summary"`
	Section string   `yaml:"section"`
	Source  string   `yaml:"source,omitempty"`
	Tags    []string `yaml:"tags,omitempty"`
	Link    string   `yaml:"link,omitempty"`
}

// ErrLabelled is wrapped by the problems LoadLabelled reports.
var ErrLabelled = errors.New("bad labelled item")

// LoadLabelled reads a YAML list of labelled items, each with a title, an
// optional summary, the section it belongs to, and optionally the name and
// tags of its source (for per-source settings) and its link:
//
//	# items.yaml
//	- title: 浅谈Docker安全：技术、生态和最新的安全特性
//	  summary: 本文从容器安全、镜像安全、安全生态等方面介绍当前docker安全相关话题。
//	  section: containers
//	- title: Microsoft acquires Deis
//	  section: industry
//	  source: TechCrunch
//	  tags: [en, business]
//
// Unknown keys are errors; every item needs a title and a section. All
// problems are reported at once, each with its line.
func LoadLabelled(r io.Reader) ([]curator.Labelled, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read labelled items: %w", err)
	}
	var raw []labelled
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: %v", ErrLabelled, err)
	}
	items := make([]curator.Labelled, len(raw))
	for i, l := range raw {
		items[i] = curator.Labelled{Title: l.Title, Summary: l.Summary, Section: l.Section, Source: l.Source, Tags: l.Tags, Link: l.Link}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrLabelled, err)
	}
	if len(root.Content) == 1 && root.Content[0].Kind == yaml.SequenceNode && len(root.Content[0].Content) == len(items) {
		for i, n := range root.Content[0].Content {
			items[i].Line = n.Line
		}
	}
	var errs []error
	for i := range items {
		it := &items[i]
		it.Title, it.Section = strings.TrimSpace(it.Title), strings.TrimSpace(it.Section)
		if it.Title == "" {
			errs = append(errs, fmt.Errorf("line %d: item %d: %w: title is required", it.Line, i, ErrLabelled))
		}
		if it.Section == "" {
			errs = append(errs, fmt.Errorf("line %d: item %d: %w: section is required", it.Line, i, ErrLabelled))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return items, nil
}
