package curator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"gopkg.in/yaml.v3"

	"github.com/feedcurator/feedcurator/feeds"
)

// Labelled is an item whose right section is known, for measuring rules.
type Labelled struct {
	Title   string   `yaml:"title"`
	Summary string   `yaml:"summary"`
	Section string   `yaml:"section"`
	Source  string   `yaml:"source,omitempty"` // source name, for per-source settings
	Tags    []string `yaml:"tags,omitempty"`   // source tags
	Link    string   `yaml:"link,omitempty"`

	Line int `yaml:"-"` // line in the file it was loaded from
}

// Item returns the labelled item as the classifier sees it.
func (l *Labelled) Item() feeds.Item {
	return feeds.Item{Title: l.Title, Summary: l.Summary, Link: l.Link, SourceName: l.Source, SourceTags: l.Tags}
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
func LoadLabelled(r io.Reader) ([]Labelled, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read labelled items: %w", err)
	}
	var items []Labelled
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&items); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: %v", ErrLabelled, err)
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

// Report measures a ruleset against labelled items.
type Report struct {
	Total    int     `json:"total"`
	Correct  int     `json:"correct"`
	Accuracy float64 `json:"accuracy"` // Correct / Total; 0 for no items
	Excluded int     `json:"excluded"` // items an exclude rule fired on (classified all the same)
	// Sections are the rows and columns of Confusion: the ruleset's
	// sections, then any label that is not one of them.
	Sections  []string       `json:"sections"`
	Confusion [][]int        `json:"confusion"` // [labelled][decided]
	Stats     []SectionStats `json:"per_section"`
	Misses    []Miss         `json:"misclassified"`
}

// SectionStats are one section's figures: precision is the share of the
// items put in the section that belong there, recall the share of the items
// that belong there that were put there, F1 their harmonic mean.
type SectionStats struct {
	Section   string  `json:"section"`
	Labelled  int     `json:"labelled"` // items labelled with the section
	Decided   int     `json:"decided"`  // items the rules put in it
	Correct   int     `json:"correct"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

// Miss is an item the rules put in the wrong section.
type Miss struct {
	Index int     `json:"index"` // in the items passed to Evaluate
	Line  int     `json:"line,omitempty"`
	Title string  `json:"title"`
	Want  string  `json:"want"`
	Got   string  `json:"got"`
	Score float64 `json:"score"`
}

// Evaluate classifies every item with rs and compares with its label.
func Evaluate(rs *Ruleset, items []Labelled) Report {
	var rep Report
	idx := map[string]int{}
	for _, s := range rs.Sections() {
		idx[s.ID] = len(rep.Sections)
		rep.Sections = append(rep.Sections, s.ID)
	}
	for _, it := range items {
		if _, ok := idx[it.Section]; !ok {
			idx[it.Section] = len(rep.Sections)
			rep.Sections = append(rep.Sections, it.Section)
		}
	}
	n := len(rep.Sections)
	rep.Confusion = make([][]int, n)
	for i := range rep.Confusion {
		rep.Confusion[i] = make([]int, n)
	}
	for i := range items {
		it := items[i].Item()
		d := rs.Classify(&it)
		rep.Total++
		if d.Excluded {
			rep.Excluded++
		}
		rep.Confusion[idx[items[i].Section]][idx[d.Section]]++
		if d.Section == items[i].Section {
			rep.Correct++
			continue
		}
		rep.Misses = append(rep.Misses, Miss{Index: i, Line: items[i].Line, Title: items[i].Title, Want: items[i].Section, Got: d.Section, Score: d.Score})
	}
	if rep.Total > 0 {
		rep.Accuracy = float64(rep.Correct) / float64(rep.Total)
	}
	for i, s := range rep.Sections {
		st := SectionStats{Section: s, Correct: rep.Confusion[i][i]}
		for j := 0; j < n; j++ {
			st.Labelled += rep.Confusion[i][j]
			st.Decided += rep.Confusion[j][i]
		}
		if st.Decided > 0 {
			st.Precision = float64(st.Correct) / float64(st.Decided)
		}
		if st.Labelled > 0 {
			st.Recall = float64(st.Correct) / float64(st.Labelled)
		}
		if st.Precision+st.Recall > 0 {
			st.F1 = 2 * st.Precision * st.Recall / (st.Precision + st.Recall)
		}
		rep.Stats = append(rep.Stats, st)
	}
	return rep
}

// WriteText writes the report for people: accuracy, the confusion matrix,
// per-section precision, recall and F1, and the misclassified items.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "accuracy: %.1f%% (%d of %d)\n", 100*r.Accuracy, r.Correct, r.Total)
	if r.Excluded > 0 {
		fmt.Fprintf(&b, "excluded: %d (classified all the same)\n", r.Excluded)
	}
	b.WriteString("\nconfusion (rows: labelled, columns: decided):\n")
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', tabwriter.AlignRight)
	b2 := func(cells ...string) { fmt.Fprintf(tw, "%s\t\n", strings.Join(cells, "\t")) }
	b2(append([]string{""}, r.Sections...)...)
	for i, s := range r.Sections {
		row := []string{s}
		for _, c := range r.Confusion[i] {
			row = append(row, fmt.Sprint(c))
		}
		b2(row...)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\nper section:\n")
	tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', tabwriter.AlignRight)
	b2("section", "labelled", "decided", "correct", "precision", "recall", "F1")
	for _, s := range r.Stats {
		b2(s.Section, fmt.Sprint(s.Labelled), fmt.Sprint(s.Decided), fmt.Sprint(s.Correct),
			fmt.Sprintf("%.2f", s.Precision), fmt.Sprintf("%.2f", s.Recall), fmt.Sprintf("%.2f", s.F1))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(&b, "\nmisclassified (%d):\n", len(r.Misses))
	for _, m := range r.Misses {
		where := fmt.Sprintf("#%d", m.Index)
		if m.Line > 0 {
			where = fmt.Sprintf("line %d", m.Line)
		}
		fmt.Fprintf(&b, "  %s: want %s, got %s (%g): %s\n", where, m.Want, m.Got, m.Score, m.Title)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
