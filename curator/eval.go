package curator

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/feedcurator/feedcurator/feeds"
)

// Labelled is an item whose right section is known, for measuring rules
// (config.LoadLabelled reads a file of them).
type Labelled struct {
	Title   string
	Summary string
	Section string
	Source  string   // source name, for per-source settings
	Tags    []string // source tags
	Link    string

	Line int // line in the file it was loaded from
}

// Item returns the labelled item as the classifier sees it.
func (l *Labelled) Item() feeds.Item {
	return feeds.Item{Title: l.Title, Summary: l.Summary, Link: l.Link, Stored: feeds.Stored{SourceName: l.Source, SourceTags: l.Tags}}
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
	return evaluate(rs, items, func(i int) Decision {
		it := items[i].Item()
		return rs.Classify(&it)
	})
}

// evaluate compares the decision for each item with its label; the report's
// sections are rs's.
func evaluate(rs *Ruleset, items []Labelled, decide func(i int) Decision) Report {
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
		d := decide(i)
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
