package curator

import (
	"math"
	"sort"
	"strings"

	"github.com/feedcurator/feedcurator/feeds"
)

// Suggestion is a keyword mined from labelled examples for a section's
// rules: in Support of the section's examples and in Others of the other
// sections', so Precision = Support / (Support + Others) of the examples it
// is in belong to the section.
type Suggestion struct {
	Section   string   `json:"section"`
	Keyword   string   `json:"keyword"`
	Fields    []string `json:"fields,omitempty"` // nil: a rule's default fields
	Support   int      `json:"support"`
	Others    int      `json:"others"`
	Precision float64  `json:"precision"`
}

// Rule is the suggestion as a rule to paste into the section's rules.
func (s Suggestion) Rule() RuleSpec {
	return RuleSpec{Name: "suggested: " + s.Keyword, Keywords: []string{s.Keyword}, Fields: s.Fields}
}

// Suggest mines keywords for each section of rs from examples: the terms
// the learned model reads (Chinese character pairs, English word stems as
// prefixes, the link's host), found in at least minSupport of a section's
// examples with a precision of at least minPrecision, that no rule of that
// section matches yet. It returns at most top a section, the strongest
// first (precision, then support), in section order.
func Suggest(rs *Ruleset, examples []Labelled, minSupport int, minPrecision float64, top int) []Suggestion {
	type counts map[string]int // by section
	df := map[string]counts{}
	sc := new(learnScratch)
	for _, l := range examples {
		if _, ok := rs.index[l.Section]; !ok {
			continue
		}
		it := l.Item()
		it.SourceName = "" // a source is no keyword
		sc.find(&it, true)
		seen := map[string]bool{}
		for _, h := range sc.hits {
			term := string(sc.text[h.off:h.end])
			if seen[term] {
				continue
			}
			seen[term] = true
			if df[term] == nil {
				df[term] = counts{}
			}
			df[term][l.Section]++
		}
	}
	var out []Suggestion
	for _, sec := range rs.sections {
		var cands []Suggestion
		for term, c := range df {
			support := c[sec.ID]
			if support < minSupport {
				continue
			}
			total := 0
			for _, n := range c {
				total += n
			}
			s := Suggestion{Section: sec.ID, Support: support, Others: total - support,
				Precision: float64(support) / float64(total)}
			if s.Precision < minPrecision {
				continue
			}
			if !s.keyword(term) || rs.covers(sec.ID, s) {
				continue
			}
			cands = append(cands, s)
		}
		sort.Slice(cands, func(i, j int) bool {
			a, b := cands[i], cands[j]
			if a.Precision != b.Precision {
				return a.Precision > b.Precision
			}
			if a.Support != b.Support {
				return a.Support > b.Support
			}
			return a.Keyword < b.Keyword
		})
		out = append(out, cands[:min(top, len(cands))]...)
	}
	return out
}

// keyword turns a term of the model into a keyword of the rules: a Chinese
// pair as it is, an English stem as a prefix ("kubernet*"), a host as a
// keyword of the host field. It reports false for terms no keyword can
// stand for.
func (s *Suggestion) keyword(term string) bool {
	kind, text, ok := strings.Cut(term, ":")
	if !ok || text == "" {
		return false
	}
	switch kind {
	case string(rune(termCJK)):
		if strings.ContainsAny(text, functionChars) {
			return false // half a word and a particle: no keyword
		}
		s.Keyword = text
	case string(rune(termWord)):
		if len(text) < 3 {
			return false
		}
		s.Keyword = text + "*"
	case string(rune(termHost)):
		s.Keyword, s.Fields = text, []string{"host"}
	default:
		return false
	}
	return true
}

// functionChars are Chinese characters that mostly join words rather than
// make them: a pair holding one is rarely a keyword ("的原", "和对").
const functionChars = "的了和是在对与及为把被这那个们来去好也都就而之其或等一上下中不有从到让将并但还更最你我他她它吗呢吧啊"

// covers reports whether a rule of section id already fires on the
// suggestion's keyword written in the title (or host).
func (rs *Ruleset) covers(id string, s Suggestion) bool {
	word := strings.TrimSuffix(s.Keyword, "*")
	it := feeds.Item{Title: word}
	if len(s.Fields) > 0 {
		it = feeds.Item{Link: "https://" + word + "/"}
	}
	for _, f := range rs.Explain(&it).Fired {
		if f.Section == id {
			return true
		}
	}
	return false
}

// Strength orders suggestions across sections: precision weighed by the
// log of support.
func (s Suggestion) Strength() float64 { return s.Precision * math.Log1p(float64(s.Support)) }
