package curator

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Explanation says why an item went where it did. It is computed when asked
// for, from the item and the rules in force, and printed by WriteText or
// served as JSON.
type Explanation struct {
	Section  string  `json:"section"`
	Score    float64 `json:"score"`
	Decision string  `json:"decision"` // ByScore, BySourceDefault or ByFallback
	Fallback bool    `json:"fallback,omitempty"`
	Excluded bool    `json:"excluded,omitempty"`
	// Review marks a close call (see Decision.Review) under ReviewMargin.
	Review       bool           `json:"needs_review,omitempty"`
	ReviewMargin float64        `json:"review_margin,omitempty"`
	Threshold    float64        `json:"threshold"`
	Version      string         `json:"rules_version"`
	Source       *SourceInfo    `json:"source,omitempty"`
	Scores       []SectionScore `json:"scores"`
	Fired        []Firing       `json:"fired"`
	Exclusions   []Firing       `json:"exclusions,omitempty"`
	// Learned is the learned part's contribution, term by term, when the
	// rules blend one in with LearnedWeight.
	Learned       *LearnedExplanation `json:"learned,omitempty"`
	LearnedWeight float64             `json:"learned_weight,omitempty"`
}

// SourceInfo is present when the item's source has settings of its own.
type SourceInfo struct {
	Name           string `json:"name"`
	DefaultSection string `json:"default_section,omitempty"`
	// DefaultPrior is what the default section's score starts from for
	// every item of the source (SourceOptions.Section).
	DefaultPrior float64 `json:"default_prior,omitempty"`
}

// SectionScore is one section's total: what its rules scored, the
// source's bias (all of it when a rule of the section fired, else a prior
// of half of it, at most half the threshold), the prior of the
// source's default section (added to that section for every item of the
// source) and the learned part's weighted log-odds.
type SectionScore struct {
	Section       string  `json:"section"`
	Score         float64 `json:"score"`
	Rules         float64 `json:"rules"`
	Bias          float64 `json:"bias,omitempty"`
	SourceDefault float64 `json:"source_default,omitempty"`
	Learned       float64 `json:"learned,omitempty"`
}

// Firing is a rule that matched: a section's rule, or an exclude rule (with
// no Section).
type Firing struct {
	Section string  `json:"section,omitempty"`
	Rule    int     `json:"rule"`
	Path    string  `json:"path"`
	Name    string  `json:"name,omitempty"`
	Weight  float64 `json:"weight,omitempty"`
	Score   float64 `json:"score"`
	Final   bool    `json:"final,omitempty"` // a rule marked final: its section wins outright
	Matches []Match `json:"matches,omitempty"`
}

// Match is a term of a rule found in a field. Text is the matched text as
// normalised for matching: lower case, half-width, simplified Chinese.
type Match struct {
	Field string `json:"field"`
	Term  string `json:"term"`
	Text  string `json:"text"`
}

// WriteText writes the explanation for people: the decision and its reason,
// the scores, and every rule that fired with what it matched.
func (e Explanation) WriteText(w io.Writer) error {
	var b strings.Builder
	// The best score, unless no section scored more than the source's
	// default prior gave it: then nothing claimed the item.
	best, bestScore, claimed := "", 0.0, false
	for _, s := range e.Scores {
		if s.Score > 0 && (best == "" || s.Score > bestScore) {
			best, bestScore = s.Section, s.Score
		}
		claimed = claimed || s.Score-s.SourceDefault > 0
	}
	if !claimed {
		best = "" // bestScore stays: the prior alone
	}
	fmt.Fprintf(&b, "section:  %s\n", e.Section)
	switch e.Decision {
	case ByScore:
		fmt.Fprintf(&b, "because:  highest score, %s (threshold %s)\n", num(e.Score), num(e.Threshold))
	case ByFinalRule:
		var paths []string
		for _, f := range e.Fired {
			if f.Section == e.Section && f.Final {
				paths = append(paths, f.Path)
			}
		}
		fmt.Fprintf(&b, "because:  a rule marked final fired (%s): its section wins outright\n", strings.Join(paths, ", "))
	default:
		reason := "no section scored"
		if !claimed && bestScore > 0 {
			reason = "no section scored beyond the source's default prior"
		}
		if best != "" {
			reason = fmt.Sprintf("the best score, %s for %s, is below the threshold %s", num(bestScore), best, num(e.Threshold))
		} else if e.Threshold > 0 {
			reason += fmt.Sprintf(" (threshold %s)", num(e.Threshold))
		}
		if e.Decision == BySourceDefault && e.Source != nil {
			fmt.Fprintf(&b, "because:  %s: default section of source %q\n", reason, e.Source.Name)
		} else {
			fmt.Fprintf(&b, "because:  %s: fallback section\n", reason)
		}
	}
	if e.Review {
		fmt.Fprintf(&b, "review:   needs an editor's look: a close call (another section within %s of the winner, or a score below the threshold)\n", num(e.ReviewMargin))
	}
	if e.Excluded {
		var paths []string
		for _, f := range e.Exclusions {
			paths = append(paths, f.Path)
		}
		fmt.Fprintf(&b, "excluded: yes, by %s: stored, never published\n", strings.Join(paths, ", "))
	}
	if e.Source != nil {
		fmt.Fprintf(&b, "source:   %s", e.Source.Name)
		if e.Source.DefaultSection != "" {
			fmt.Fprintf(&b, " (default section %s, prior %s)", e.Source.DefaultSection, signed(e.Source.DefaultPrior))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "rules:    version %s\n", e.Version)

	b.WriteString("\nscores:\n")
	idW, scoreW := 0, 0
	for _, s := range e.Scores {
		idW, scoreW = max(idW, width(s.Section)), max(scoreW, len(num(s.Score)))
	}
	for _, s := range e.Scores {
		line := "  " + pad(s.Section, idW) + "  " + strings.Repeat(" ", scoreW-len(num(s.Score))) + num(s.Score)
		if s.Bias != 0 || s.SourceDefault != 0 || s.Learned != 0 {
			line += fmt.Sprintf("  (rules %s", num(s.Rules))
			if s.Bias != 0 {
				line += fmt.Sprintf(", source bias %s", signed(s.Bias))
			}
			if s.SourceDefault != 0 {
				line += fmt.Sprintf(", source default %s", signed(s.SourceDefault))
			}
			if s.Learned != 0 {
				line += fmt.Sprintf(", learned %s", signed(s.Learned))
			}
			line += ")"
		}
		if s.Section == e.Section {
			line += "  <-"
		}
		b.WriteString(line + "\n")
	}

	writeFirings := func(title string, fs []Firing) {
		fmt.Fprintf(&b, "\n%s:\n", title)
		if len(fs) == 0 {
			b.WriteString("  (none)\n")
		}
		for _, f := range fs {
			b.WriteString("  ")
			if f.Section != "" {
				fmt.Fprintf(&b, "%s %s by ", f.Section, signed(f.Score))
			}
			b.WriteString(f.Path)
			if f.Name != "" {
				fmt.Fprintf(&b, " %q", f.Name)
			}
			if f.Section != "" {
				fmt.Fprintf(&b, ", weight %s", num(f.Weight))
			}
			b.WriteString("\n")
			for _, m := range f.Matches {
				fmt.Fprintf(&b, "      %-10s %s", m.Field, m.Term)
				if m.Text != m.Term {
					fmt.Fprintf(&b, " = %q", m.Text)
				}
				b.WriteString("\n")
			}
		}
	}
	writeFirings("fired", e.Fired)
	if len(e.Exclusions) > 0 {
		writeFirings("exclude rules fired", e.Exclusions)
	}
	if e.Learned != nil {
		b.WriteString("\n")
		if err := e.Learned.WriteText(&b, e.LearnedWeight); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// width is the display width of s in a terminal: East Asian characters take
// two columns.
func width(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x1100 && (r <= 0x115F || r >= 0x2E80 && r <= 0xA4CF || r >= 0xAC00 && r <= 0xD7A3 || r >= 0xF900 && r <= 0xFAFF || r >= 0xFE30 && r <= 0xFE4F || r >= 0xFF00 && r <= 0xFF60 || r >= 0xFFE0 && r <= 0xFFE6 || r >= 0x20000) {
			n++
		}
	}
	return n
}

func pad(s string, w int) string { return s + strings.Repeat(" ", max(0, w-width(s))) }

func signed(f float64) string {
	if f >= 0 {
		return "+" + num(f)
	}
	return num(f)
}

// num formats a score: no trailing zeros, at most two decimals.
func num(f float64) string {
	return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
}
