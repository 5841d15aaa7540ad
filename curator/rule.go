package curator

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/feedcurator/feedcurator/feeds"
)

// SectionSpec is a section of the digest as configured, with its rules.
type SectionSpec struct {
	ID    string     `yaml:"id" json:"id"`
	Title string     `yaml:"title" json:"title"`
	Rules []RuleSpec `yaml:"rules,omitempty" json:"rules,omitempty"`
}

// RuleSpec is one rule as configured. A rule fires when any of its keywords
// or regexes matches one of its fields. Each distinct keyword (or regex) that
// matches adds Weight to the section's score, doubled when it matched the title.
type RuleSpec struct {
	Name     string   `yaml:"name,omitempty" json:"name,omitempty"`
	Keywords []string `yaml:"keywords,omitempty" json:"keywords,omitempty"`
	Regex    []string `yaml:"regex,omitempty" json:"regex,omitempty"`
	Fields   []string `yaml:"fields,omitempty" json:"fields,omitempty"`
	Weight   float64  `yaml:"weight,omitempty" json:"weight,omitempty"`
}

// Options are the ruleset-wide settings.
type Options struct {
	Fallback  string  // section for items that score below Threshold; "" means the last section
	Threshold float64 // minimum winning score; 0 means any positive score
}

// Field names a part of an item that rules can match.
type Field uint8

// The matchable fields.
const (
	FieldTitle Field = iota
	FieldSummary
	FieldContent
	FieldCategories
	FieldAuthor
	FieldHost
	FieldSource
	FieldTags
	numFields
)

var fieldNames = [numFields]string{"title", "summary", "content", "categories", "author", "host", "source", "tags"}

func (f Field) String() string { return fieldNames[f] }

// defaultFields are matched when a rule names none.
const defaultFields = 1<<FieldTitle | 1<<FieldSummary | 1<<FieldContent | 1<<FieldCategories

// titleBoost multiplies a match in the title: a title is the editor's own
// one-line statement of what an article is about.
const titleBoost = 2

// Errors returned by Compile, wrapped in *RuleError.
var (
	ErrEmptyRule     = errors.New("rule has no keywords and no regex")
	ErrBadRegex      = errors.New("regex does not compile")
	ErrUnknownField  = errors.New("unknown field")
	ErrEmptyKeyword  = errors.New("keyword is empty")
	ErrBadWeight     = errors.New("weight must be positive")
	ErrNoSections    = errors.New("no sections")
	ErrDuplicateID   = errors.New("duplicate section id")
	ErrEmptyID       = errors.New("section id is empty")
	ErrUnknownTarget = errors.New("no such section")
)

// RuleError locates a problem in the rule configuration, with a path such as
// "sections[1].rules[0].regex[2]".
type RuleError struct {
	Path string
	Err  error
}

func (e *RuleError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *RuleError) Unwrap() error { return e.Err }

type rule struct {
	section int
	index   int
	name    string
	weight  float64
	fields  uint16
	kws     []string // as configured, for explanations
	regexes []*regexp.Regexp
}

// patternRef links an automaton pattern to a keyword of a rule.
type patternRef struct {
	rule, kw             int32
	boundStart, boundEnd bool
}

// Ruleset is a compiled, immutable set of rules, safe for concurrent use.
type Ruleset struct {
	sections []SectionSpec
	index    map[string]int
	rules    []rule
	m        *matcher
	refs     [][]patternRef // by pattern
	fallback int
	thresh   float64
	version  string
	pool     sync.Pool
}

// Compile checks and compiles the sections' rules. All problems are reported
// at once, each as a *RuleError naming its path.
func Compile(sections []SectionSpec, opts Options) (*Ruleset, error) {
	var errs []error
	bad := func(path string, err error) { errs = append(errs, &RuleError{Path: path, Err: err}) }
	if len(sections) == 0 {
		return nil, &RuleError{Path: "sections", Err: ErrNoSections}
	}
	rs := &Ruleset{sections: sections, index: make(map[string]int, len(sections)), thresh: opts.Threshold}
	for si, s := range sections {
		p := fmt.Sprintf("sections[%d].id", si)
		if strings.TrimSpace(s.ID) == "" {
			bad(p, ErrEmptyID)
		} else if _, dup := rs.index[s.ID]; dup {
			bad(p, fmt.Errorf("%w %q", ErrDuplicateID, s.ID))
		} else {
			rs.index[s.ID] = si
		}
	}
	rs.fallback = len(sections) - 1
	if opts.Fallback != "" {
		fi, ok := rs.index[opts.Fallback]
		if !ok {
			bad("curator.fallback", fmt.Errorf("%w %q", ErrUnknownTarget, opts.Fallback))
		}
		rs.fallback = fi
	}

	patIndex := map[string]int32{}
	var patterns []string
	for si, s := range sections {
		for ri, r := range s.Rules {
			path := fmt.Sprintf("sections[%d].rules[%d]", si, ri)
			cr := rule{section: si, index: ri, name: r.Name, weight: r.Weight, kws: r.Keywords}
			if cr.weight == 0 {
				cr.weight = 1
			} else if cr.weight < 0 {
				bad(path+".weight", ErrBadWeight)
			}
			if len(r.Keywords) == 0 && len(r.Regex) == 0 {
				bad(path, ErrEmptyRule)
			}
			if len(r.Fields) == 0 {
				cr.fields = defaultFields
			}
			for fi, f := range r.Fields {
				ok := false
				for k, n := range fieldNames {
					if strings.EqualFold(strings.TrimSpace(f), n) {
						cr.fields |= 1 << k
						ok = true
					}
				}
				if !ok {
					bad(fmt.Sprintf("%s.fields[%d]", path, fi), fmt.Errorf("%w %q (want one of %s)", ErrUnknownField, f, strings.Join(fieldNames[:], ", ")))
				}
			}
			for xi, x := range r.Regex {
				re, err := regexp.Compile(x)
				if err != nil {
					bad(fmt.Sprintf("%s.regex[%d]", path, xi), fmt.Errorf("%w: %v", ErrBadRegex, err))
					continue
				}
				cr.regexes = append(cr.regexes, re)
			}
			ruleIdx := int32(len(rs.rules))
			for ki, k := range r.Keywords {
				fk := strings.TrimSpace(string(fold(nil, k)))
				if fk == "" {
					bad(fmt.Sprintf("%s.keywords[%d]", path, ki), ErrEmptyKeyword)
					continue
				}
				pi, ok := patIndex[fk]
				if !ok {
					pi = int32(len(patterns))
					patIndex[fk] = pi
					patterns = append(patterns, fk)
					rs.refs = append(rs.refs, nil)
				}
				bs, be := latinEdges(fk)
				rs.refs[pi] = append(rs.refs[pi], patternRef{rule: ruleIdx, kw: int32(ki), boundStart: bs, boundEnd: be})
			}
			rs.rules = append(rs.rules, cr)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	rs.m = newMatcher(patterns)
	rs.pool.New = func() any { return new(scratch) }

	h := sha256.New()
	_ = json.NewEncoder(h).Encode(struct {
		S []SectionSpec
		O Options
	}{sections, Options{Fallback: sections[rs.fallback].ID, Threshold: opts.Threshold}})
	rs.version = hex.EncodeToString(h.Sum(nil)[:8])
	return rs, nil
}

// Version identifies the rules: it changes whenever a rule, a section or an
// option does, which is how stored items know they need re-classifying.
func (rs *Ruleset) Version() string { return rs.version }

// Sections returns the sections in configured order.
func (rs *Ruleset) Sections() []SectionSpec { return rs.sections }

// Decision is the outcome of classifying one item.
type Decision struct {
	Section string
	Score   float64
}

// Explanation says why an item went where it did.
type Explanation struct {
	Section   string         `json:"section"`
	Score     float64        `json:"score"`
	Fallback  bool           `json:"fallback,omitempty"`
	Threshold float64        `json:"threshold"`
	Version   string         `json:"rules_version"`
	Scores    []SectionScore `json:"scores"`
	Fired     []Firing       `json:"fired"`
}

// SectionScore is one section's total.
type SectionScore struct {
	Section string  `json:"section"`
	Score   float64 `json:"score"`
}

// Firing is a rule that matched.
type Firing struct {
	Section string  `json:"section"`
	Rule    int     `json:"rule"`
	Name    string  `json:"name,omitempty"`
	Weight  float64 `json:"weight"`
	Score   float64 `json:"score"`
	Matches []Match `json:"matches"`
}

// Match is one term found in one field.
type Match struct {
	Field string `json:"field"`
	Term  string `json:"term"`
	Text  string `json:"text"`
}

// hit records that keyword kw (or regex -1-i) of a rule matched in a field.
type hit struct {
	rule  int32
	kw    int32
	field Field
	start int32
	end   int32
}

type scratch struct {
	buf    [numFields][]byte
	hits   []hit
	raw    []uint64
	scores []float64
}

// Classify returns the section for it.
func (rs *Ruleset) Classify(it *feeds.Item) Decision {
	sc := rs.pool.Get().(*scratch)
	d, _ := rs.evaluate(it, sc, false)
	rs.pool.Put(sc)
	return d
}

// Explain classifies it and says why.
func (rs *Ruleset) Explain(it *feeds.Item) Explanation {
	sc := rs.pool.Get().(*scratch)
	_, ex := rs.evaluate(it, sc, true)
	rs.pool.Put(sc)
	return *ex
}

func (rs *Ruleset) evaluate(it *feeds.Item, sc *scratch, explain bool) (Decision, *Explanation) {
	sc.hits = sc.hits[:0]
	rs.foldFields(it, sc)
	for f := Field(0); f < numFields; f++ {
		text := sc.buf[f]
		if len(text) == 0 {
			continue
		}
		sc.raw = rs.m.scan(sc.raw[:0], text)
		for _, r := range sc.raw {
			p, end := int32(r>>32), int(uint32(r))
			start := end - len(rs.m.patterns[p])
			for _, ref := range rs.refs[p] {
				if rs.rules[ref.rule].fields&(1<<f) == 0 {
					continue
				}
				if ref.boundStart && start > 0 && isWordByte(text[start-1]) {
					continue
				}
				if ref.boundEnd && end < len(text) && isWordByte(text[end]) {
					continue
				}
				sc.hits = append(sc.hits, hit{rule: ref.rule, kw: ref.kw, field: f, start: int32(start), end: int32(end)})
			}
		}
	}
	for ri := range rs.rules {
		r := &rs.rules[ri]
		for xi, re := range r.regexes {
			for f := Field(0); f < numFields; f++ {
				if r.fields&(1<<f) == 0 || len(sc.buf[f]) == 0 {
					continue
				}
				if loc := re.FindIndex(sc.buf[f]); loc != nil {
					sc.hits = append(sc.hits, hit{rule: int32(ri), kw: int32(-1 - xi), field: f, start: int32(loc[0]), end: int32(loc[1])})
				}
			}
		}
	}

	// Score: each distinct term of a rule counts once, at its best field.
	if cap(sc.scores) < len(rs.sections) {
		sc.scores = make([]float64, len(rs.sections))
	}
	scores := sc.scores[:len(rs.sections)]
	clear(scores)
	var ex *Explanation
	if explain {
		ex = &Explanation{Threshold: rs.thresh, Version: rs.version, Fired: []Firing{}}
	}
	sortHits(sc.hits)
	for i := 0; i < len(sc.hits); {
		j := i
		ruleID := sc.hits[i].rule
		var ruleScore float64
		var firing *Firing
		r := &rs.rules[ruleID]
		if explain {
			ex.Fired = append(ex.Fired, Firing{Section: rs.sections[r.section].ID, Rule: r.index, Name: r.name, Weight: r.weight})
			firing = &ex.Fired[len(ex.Fired)-1]
		}
		for j < len(sc.hits) && sc.hits[j].rule == ruleID {
			k := j
			boost := 1.0
			for k < len(sc.hits) && sc.hits[k].rule == ruleID && sc.hits[k].kw == sc.hits[j].kw {
				if sc.hits[k].field == FieldTitle {
					boost = titleBoost
				}
				if explain {
					h := sc.hits[k]
					firing.Matches = append(firing.Matches, Match{Field: h.field.String(), Term: rs.termOf(r, h.kw), Text: string(sc.buf[h.field][h.start:h.end])})
				}
				k++
			}
			ruleScore += r.weight * boost
			j = k
		}
		scores[r.section] += ruleScore
		if explain {
			firing.Score = ruleScore
		}
		i = j
	}
	best := -1
	for si, s := range scores {
		if s > 0 && (best < 0 || s > scores[best]) {
			best = si
		}
	}
	fallback := best < 0 || scores[best] < rs.thresh
	if fallback {
		best = rs.fallback
	}
	d := Decision{Section: rs.sections[best].ID, Score: scores[best]}
	if explain {
		ex.Section, ex.Score, ex.Fallback = d.Section, d.Score, fallback
		for si, s := range scores {
			ex.Scores = append(ex.Scores, SectionScore{Section: rs.sections[si].ID, Score: s})
		}
	}
	return d, ex
}

func (rs *Ruleset) termOf(r *rule, kw int32) string {
	if kw < 0 {
		return r.regexes[-1-kw].String()
	}
	return r.kws[kw]
}

// sortHits orders hits by rule, keyword, field: an insertion sort, since an
// item yields a handful of hits and this must not allocate.
func sortHits(h []hit) {
	less := func(a, b hit) bool {
		if a.rule != b.rule {
			return a.rule < b.rule
		}
		if a.kw != b.kw {
			return a.kw < b.kw
		}
		if a.field != b.field {
			return a.field < b.field
		}
		return a.start < b.start
	}
	for i := 1; i < len(h); i++ {
		for j := i; j > 0 && less(h[j], h[j-1]); j-- {
			h[j], h[j-1] = h[j-1], h[j]
		}
	}
}

// maxFieldBytes bounds how much of a long field is matched: the opening of an
// article says what it is about, and the cost of classifying must not grow
// with the length of full-text feeds.
const maxFieldBytes = 8 << 10

func (rs *Ruleset) foldFields(it *feeds.Item, sc *scratch) {
	for f := range sc.buf {
		sc.buf[f] = sc.buf[f][:0]
	}
	sc.buf[FieldTitle] = fold(sc.buf[FieldTitle], it.Title)
	sc.buf[FieldSummary] = foldHTML(sc.buf[FieldSummary], it.Summary, maxFieldBytes)
	sc.buf[FieldContent] = foldHTML(sc.buf[FieldContent], it.Content, maxFieldBytes)
	for i, c := range it.Categories {
		if i > 0 {
			sc.buf[FieldCategories] = append(sc.buf[FieldCategories], " | "...)
		}
		sc.buf[FieldCategories] = fold(sc.buf[FieldCategories], c)
	}
	sc.buf[FieldAuthor] = fold(sc.buf[FieldAuthor], it.Author)
	sc.buf[FieldHost] = fold(sc.buf[FieldHost], hostOf(it.Link))
	sc.buf[FieldSource] = fold(sc.buf[FieldSource], it.SourceName)
	for i, t := range it.SourceTags {
		if i > 0 {
			sc.buf[FieldTags] = append(sc.buf[FieldTags], " | "...)
		}
		sc.buf[FieldTags] = fold(sc.buf[FieldTags], t)
	}
}

// foldHTML folds the text of an HTML fragment, dropping tags and decoding the
// few entities that matter for matching, up to limit bytes of input.
func foldHTML(dst []byte, s string, limit int) []byte {
	if len(s) > limit {
		s = s[:limit]
	}
	for len(s) > 0 {
		i := strings.IndexAny(s, "<&")
		if i < 0 {
			return fold(dst, s)
		}
		dst = fold(dst, s[:i])
		s = s[i:]
		if s[0] == '<' {
			end := strings.IndexByte(s, '>')
			if end < 0 {
				return dst
			}
			dst = append(dst, ' ')
			s = s[end+1:]
			continue
		}
		if j := strings.IndexByte(s[:min(len(s), 10)], ';'); j > 0 {
			if r, ok := entities[s[1:j]]; ok {
				dst = append(dst, r...)
				s = s[j+1:]
				continue
			}
		}
		dst = append(dst, '&')
		s = s[1:]
	}
	return dst
}

// hostOf returns the host of an absolute URL without allocating.
func hostOf(link string) string {
	i := strings.Index(link, "://")
	if i < 0 {
		return ""
	}
	h := link[i+3:]
	if j := strings.IndexAny(h, "/?#"); j >= 0 {
		h = h[:j]
	}
	if j := strings.LastIndexByte(h, '@'); j >= 0 {
		h = h[j+1:]
	}
	if j := strings.LastIndexByte(h, ':'); j >= 0 && !strings.Contains(h[j:], "]") {
		h = h[:j]
	}
	return h
}

var entities = map[string]string{"amp": "&", "lt": "<", "gt": ">", "quot": `"`, "apos": "'", "nbsp": " ", "#39": "'"}
