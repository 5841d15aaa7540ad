package curator

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"sync"
)

// SectionSpec is a section of the digest as configured, with its rules.
type SectionSpec struct {
	ID    string     `yaml:"id" json:"id"`
	Title string     `yaml:"title" json:"title"`
	Rules []RuleSpec `yaml:"rules,omitempty" json:"rules,omitempty"`
}

// RuleSpec is one rule as configured, or a condition nested in one.
//
// A condition matches when all of these that it uses hold: one of its
// Keywords or Regex matches one of its Fields; every condition in All
// matches; at least one condition in Any matches; no condition in None
// matches. Nested conditions match the fields of the condition they are in
// unless they name their own.
//
// A rule that matches ("fires") adds to its section's score its Weight times
// the sum, over the distinct keywords and regexes that matched in it, of 2
// for a match in the title and 1 otherwise. Terms inside None and inside
// conditions that did not match count for nothing. Weight is only allowed on
// a section's top-level rules.
//
// Keywords are matched on folded text (lower case, half-width, simplified
// Chinese). A Latin keyword matches whole words and its English word forms:
// "outage" matches "outages", "launch" "launched" and "launching",
// "acquire" "acquisition", "lay off" "layoffs" and "laid off" (words under
// three letters are not inflected). A keyword starting with "=" matches
// exactly as written ("=arm" does not match "arms"); a * at either end lifts
// the word boundary there and turns word forms off ("container*"). A ~N
// between words allows up to N words in between, in that order:
// "acquire ~3 startup" matches "acquires a small startup", "收购 ~4 公司"
// matches "收购一家初创公司" (a Chinese character counts as a word).
//
// A top-level rule with Final set decides the item when it fires: its
// section wins whatever the other sections score. It is meant for events
// (an acquisition, a funding round, an outage, a layoff, a launch) that
// outrank the topic words around them.
type RuleSpec struct {
	Name     string     `yaml:"name,omitempty" json:"name,omitempty"`
	Keywords []string   `yaml:"keywords,omitempty" json:"keywords,omitempty"`
	Regex    []string   `yaml:"regex,omitempty" json:"regex,omitempty"`
	Fields   []string   `yaml:"fields,omitempty" json:"fields,omitempty"`
	Weight   float64    `yaml:"weight,omitempty" json:"weight,omitempty"`
	All      []RuleSpec `yaml:"all,omitempty" json:"all,omitempty"`
	Any      []RuleSpec `yaml:"any,omitempty" json:"any,omitempty"`
	None     []RuleSpec `yaml:"none,omitempty" json:"none,omitempty"`
	Final    bool       `yaml:"final,omitempty" json:"final,omitempty"`
}

// Options are the ruleset-wide settings.
type Options struct {
	// Fallback is the section of items that no section claims with at
	// least Threshold; "" means the last section.
	Fallback string
	// Threshold is the minimum winning score; 0 means any positive score.
	Threshold float64
	// ReviewMargin marks a decision for an editor's review when another
	// section scored within this much of the winner (Decision.Review); 0
	// marks none.
	ReviewMargin float64
	// Exclude rules mark the items they match as excluded: stored, never
	// published. Same syntax as section rules, without weights.
	Exclude []RuleSpec
	// Sources are per-source settings, matched by feeds.Item.SourceName.
	// Their order is the configuration's, so errors name sources[i].
	Sources []SourceOptions
}

// SourceOptions adjust the decision for the items of one source.
type SourceOptions struct {
	// Name is the source's name (feeds.Item.SourceName).
	Name string `json:"name"`
	// Section, if set, is the source's default section: a prior of
	// DefaultPriorShare of the threshold is added to its score for every
	// item of the source, rules fired or not, so that it decides the
	// source's close calls; and it is used instead of the fallback when no
	// section reaches the threshold.
	Section string `json:"section,omitempty"`
	// Bias is added to a section's score when at least one of that
	// section's rules fired for the item: it tips close calls towards the
	// source's usual sections (or, negative, away from them) but never puts
	// an item in a section that no rule claims. The threshold applies to
	// the biased score.
	Bias map[string]float64 `json:"bias,omitempty"`
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

// engineVersion is part of every Ruleset.Version: bump it whenever matching
// or scoring changes in a way that can change decisions for the same rules
// (the normalisation tables included).
const engineVersion = "curator/4"

// Errors returned by Compile, wrapped in *RuleError.
var (
	ErrEmptyRule        = errors.New("rule has no keywords, regex, all, any or none")
	ErrNoPositive       = errors.New("rule needs a keyword or regex that must match: none alone matches everything")
	ErrBadRegex         = errors.New("regex does not compile")
	ErrUnknownField     = errors.New("unknown field")
	ErrEmptyKeyword     = errors.New("keyword is empty")
	ErrBadWeight        = errors.New("weight must be a positive number")
	ErrWeightNotAllowed = errors.New("weight is only allowed on a section's top-level rules")
	ErrBadBias          = errors.New("bias must be a finite number")
	ErrBadThreshold     = errors.New("threshold must be a number of at least 0")
	ErrNoSections       = errors.New("no sections")
	ErrDuplicateID      = errors.New("duplicate section id")
	ErrEmptyID          = errors.New("section id is empty")
	ErrUnknownTarget    = errors.New("no such section")
	ErrFinalNotAllowed  = errors.New("final is only allowed on a section's top-level rules")
	ErrBadNear          = errors.New("a ~N between words wants N from 0 to 20 and a word on each side")
)

// RuleError locates a problem in the rule configuration, with a path such as
// "sections[1].rules[0].all[1].regex[0]".
type RuleError struct {
	Path string
	Err  error
}

func (e *RuleError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *RuleError) Unwrap() error { return e.Err }

// rule is a compiled top-level rule of a section, or an exclude rule.
type rule struct {
	section int // index in sections; -1 for an exclude rule
	index   int // index in its section's rules or in the exclude rules
	path    string
	name    string
	weight  float64
	root    int32 // node
	always  bool  // has a regex outside none: evaluate even without keyword hits
	simple  bool  // keywords only, no conditions: its score is summed while scanning
	// final is RuleSpec.Final: when the rule fires, its section wins
	// outright, whatever the other sections score.
	final bool
}

// node is a compiled condition.
type node struct {
	terms          []int32 // own keywords then regexes
	all, any, none []int32 // nodes
}

// term is one keyword or regex of a node.
type term struct {
	rule   int32
	fields uint16
	text   string         // as configured, for explanations
	re     *regexp.Regexp // nil for a keyword
}

// patternRef links an automaton pattern to a keyword term.
type patternRef struct {
	term                 int32
	boundStart, boundEnd bool
}

// DefaultPriorShare is the prior of a source's default section, as a share
// of the threshold (of 1 when the threshold is 0): with the threshold at 2,
// the default section of every item of the source starts at 1, what a
// keyword in the summary adds. Alone it stays below a threshold above 0, so
// an item that nothing claims goes to the default section as before
// (BySourceDefault); added to what the rules and the learned part score, it
// tips the close calls of the source's items towards its default section.
//
// A bias is no prior in this sense: it still counts only after a rule of
// its section fired. Counted for every item, a bias as large as the
// threshold puts every item that nothing else claims in the biased section,
// a default section the source does not have; measured on the labelled
// sets, that lost decisions and won none.
const DefaultPriorShare = 0.5

// sourceRule is the compiled form of SourceOptions.
type sourceRule struct {
	section int       // -1: none
	bias    []float64 // by section; nil: none
	dflt    float64   // prior of the default section, added for every item; 0 for none
}

// Ruleset is a compiled, immutable set of rules, safe for concurrent use.
type Ruleset struct {
	sections []SectionSpec
	index    map[string]int
	rules    []rule // section rules in section order, then exclude rules
	always   []int32
	nodes    []node
	terms    []term
	m        *matcher
	refs     [][]patternRef // by pattern
	fields   uint16         // union of the fields of all terms
	sources  map[string]*sourceRule
	fallback int
	thresh   float64
	review   float64 // margin of a close call; 0: none marked
	version  string
	pool     *sync.Pool
	learned  *learnedPart // nil: the rules alone
}

// compiler holds the state of one Compile.
type compiler struct {
	rs       *Ruleset
	errs     []error
	patIndex map[string]int32
	patterns []string
	near     bool // the rule being compiled has a keyword with ~N
}

func (c *compiler) bad(path string, err error) {
	c.errs = append(c.errs, &RuleError{Path: path, Err: err})
}

// Compile checks and compiles the sections' rules and the options. All
// problems are reported at once, each as a *RuleError naming its path in the
// configuration file ("sections[0].rules[2].any[1].keywords[0]",
// "curator.exclude[0]", "sources[3].bias.paas").
func Compile(sections []SectionSpec, opts Options) (*Ruleset, error) {
	if len(sections) == 0 {
		return nil, &RuleError{Path: "sections", Err: ErrNoSections}
	}
	rs := &Ruleset{sections: sections, index: make(map[string]int, len(sections)), thresh: opts.Threshold, review: opts.ReviewMargin}
	c := &compiler{rs: rs, patIndex: map[string]int32{}}
	for si, s := range sections {
		p := fmt.Sprintf("sections[%d].id", si)
		if strings.TrimSpace(s.ID) == "" {
			c.bad(p, ErrEmptyID)
		} else if _, dup := rs.index[s.ID]; dup {
			c.bad(p, fmt.Errorf("%w %q", ErrDuplicateID, s.ID))
		} else {
			rs.index[s.ID] = si
		}
	}
	rs.fallback = len(sections) - 1
	if opts.Fallback != "" {
		fi, ok := rs.index[opts.Fallback]
		if !ok {
			c.bad("curator.fallback", fmt.Errorf("%w %q", ErrUnknownTarget, opts.Fallback))
		}
		rs.fallback = fi
	}
	if !(opts.Threshold >= 0) || math.IsInf(opts.Threshold, 1) {
		c.bad("curator.threshold", fmt.Errorf("%w, not %v", ErrBadThreshold, opts.Threshold))
	}

	for si, s := range sections {
		for ri, r := range s.Rules {
			c.rule(si, ri, fmt.Sprintf("sections[%d].rules[%d]", si, ri), r)
		}
	}
	for ri, r := range opts.Exclude {
		c.rule(-1, ri, fmt.Sprintf("curator.exclude[%d]", ri), r)
	}
	c.sources(opts.Sources)
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	for ri := range rs.rules {
		if rs.rules[ri].always {
			rs.always = append(rs.always, int32(ri))
		}
	}
	rs.m = newMatcher(c.patterns)
	rs.pool = &sync.Pool{New: func() any { return new(scratch) }}
	rs.version = version(sections, rs.sections[rs.fallback].ID, opts)
	return rs, nil
}

// version hashes everything that affects decisions.
func version(sections []SectionSpec, fallback string, opts Options) string {
	var sources []SourceOptions
	for _, s := range opts.Sources {
		if s.Section != "" || len(s.Bias) > 0 {
			sources = append(sources, s)
		}
	}
	h := sha256.New()
	_ = json.NewEncoder(h).Encode(struct {
		Engine    string
		Sections  []SectionSpec
		Fallback  string
		Threshold float64
		Exclude   []RuleSpec      `json:",omitempty"`
		Sources   []SourceOptions `json:",omitempty"`
		Review    float64         `json:",omitempty"`
	}{engineVersion, sections, fallback, opts.Threshold, opts.Exclude, sources, opts.ReviewMargin})
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// rule compiles a top-level rule of section si (-1: an exclude rule).
func (c *compiler) rule(si, ri int, path string, r RuleSpec) {
	rs := c.rs
	cr := rule{section: si, index: ri, path: path, name: r.Name, weight: r.Weight, final: r.Final}
	if si < 0 && r.Final {
		c.bad(path+".final", ErrFinalNotAllowed)
	}
	c.near = false
	switch {
	case si < 0 && r.Weight != 0:
		c.bad(path+".weight", ErrWeightNotAllowed)
	case r.Weight == 0:
		cr.weight = 1
	case !(r.Weight > 0) || math.IsInf(r.Weight, 1):
		c.bad(path+".weight", fmt.Errorf("%w, not %v", ErrBadWeight, r.Weight))
	}
	ruleIdx := int32(len(rs.rules))
	rs.rules = append(rs.rules, rule{}) // reserve: nodes refer to it
	root, always := c.node(ruleIdx, path, r, defaultFields, true)
	cr.root, cr.always = root, always
	cr.simple = len(r.Regex) == 0 && len(r.All) == 0 && len(r.Any) == 0 && len(r.None) == 0 && !c.near
	if isEmpty(r) {
		// Reported by node.
	} else if canMatchWithoutTerms(r) {
		c.bad(path, ErrNoPositive)
	}
	rs.rules[ruleIdx] = cr
}

func isEmpty(r RuleSpec) bool {
	return len(r.Keywords) == 0 && len(r.Regex) == 0 && len(r.All) == 0 && len(r.Any) == 0 && len(r.None) == 0
}

// canMatchWithoutTerms reports whether a condition can hold although none of
// its keywords or regexes matched (outside None, which only subtracts).
func canMatchWithoutTerms(r RuleSpec) bool {
	if len(r.Keywords) > 0 || len(r.Regex) > 0 {
		return false
	}
	for _, a := range r.All {
		if !canMatchWithoutTerms(a) {
			return false
		}
	}
	if len(r.Any) == 0 {
		return true
	}
	for _, a := range r.Any {
		if canMatchWithoutTerms(a) {
			return true
		}
	}
	return false
}

// node compiles a condition; positive is false inside None. It reports
// whether the condition holds a regex that counts towards the score, which
// must then be run on every item.
func (c *compiler) node(ruleIdx int32, path string, r RuleSpec, inherited uint16, positive bool) (int32, bool) {
	rs := c.rs
	ni := int32(len(rs.nodes))
	rs.nodes = append(rs.nodes, node{})
	var n node
	if isEmpty(r) {
		c.bad(path, ErrEmptyRule)
	}
	fields := inherited
	if len(r.Fields) > 0 {
		fields = 0
	}
	for fi, f := range r.Fields {
		ok := false
		for k, name := range fieldNames {
			if strings.EqualFold(strings.TrimSpace(f), name) {
				fields |= 1 << k
				ok = true
			}
		}
		if !ok {
			c.bad(fmt.Sprintf("%s.fields[%d]", path, fi), fmt.Errorf("%w %q (want one of %s)", ErrUnknownField, f, strings.Join(fieldNames[:], ", ")))
		}
	}
	rs.fields |= fields
	formTerm := map[string]int32{}
	for ki, k := range r.Keywords {
		kp := fmt.Sprintf("%s.keywords[%d]", path, ki)
		fk := strings.TrimSpace(string(fold(nil, k)))
		if isNear(fk) {
			c.nearTerm(ruleIdx, kp, k, fk, fields, &n)
			continue
		}
		forms, ok := keywordPatterns(fk)
		if !ok {
			c.bad(kp, ErrEmptyKeyword)
			continue
		}
		// A keyword that is a form of an earlier one of the condition
		// ("acquisition" after "acquire") is the same term: the word
		// counts once, as it did when each form was a keyword of its own.
		if ti, dup := formTerm[forms[0].text]; dup {
			c.patternsFor(ti, forms)
			continue
		}
		ti := int32(len(rs.terms))
		rs.terms = append(rs.terms, term{rule: ruleIdx, fields: fields, text: k})
		n.terms = append(n.terms, ti)
		c.patternsFor(ti, forms)
		for _, f := range forms {
			if _, seen := formTerm[f.text]; !seen {
				formTerm[f.text] = ti
			}
		}
	}
	always := false
	for xi, x := range r.Regex {
		re, err := regexp.Compile(x)
		if err != nil {
			c.bad(fmt.Sprintf("%s.regex[%d]", path, xi), fmt.Errorf("%w: %v", ErrBadRegex, err))
			continue
		}
		ti := int32(len(rs.terms))
		rs.terms = append(rs.terms, term{rule: ruleIdx, fields: fields, text: x, re: re})
		n.terms = append(n.terms, ti)
		always = always || positive
	}
	sub := func(kind string, list []RuleSpec, pos bool) []int32 {
		var out []int32
		for i, s := range list {
			p := fmt.Sprintf("%s.%s[%d]", path, kind, i)
			if s.Weight != 0 {
				c.bad(p+".weight", ErrWeightNotAllowed)
			}
			if s.Final {
				c.bad(p+".final", ErrFinalNotAllowed)
			}
			ci, a := c.node(ruleIdx, p, s, fields, pos)
			always = always || a
			out = append(out, ci)
		}
		return out
	}
	n.all = sub("all", r.All, positive)
	n.any = sub("any", r.Any, positive)
	n.none = sub("none", r.None, false)
	rs.nodes[ni] = n
	return ni, always
}

// sources compiles the per-source settings.
func (c *compiler) sources(list []SourceOptions) {
	rs := c.rs
	for i, s := range list {
		if s.Section == "" && len(s.Bias) == 0 {
			continue
		}
		if _, dup := rs.sources[s.Name]; dup {
			// The configuration reports duplicate names; the first wins.
			continue
		}
		sr := &sourceRule{section: -1}
		p := fmt.Sprintf("sources[%d]", i)
		if s.Section != "" {
			si, ok := rs.index[s.Section]
			if !ok {
				c.bad(p+".section", fmt.Errorf("%w %q", ErrUnknownTarget, s.Section))
			}
			sr.section = si
			if !ok {
				sr.section = -1
			}
		}
		if sr.section >= 0 {
			unit := rs.thresh
			if !(unit > 0) || math.IsInf(unit, 0) {
				unit = 1
			}
			sr.dflt = DefaultPriorShare * unit
		}
		for id, b := range s.Bias {
			bp := p + ".bias." + id
			si, ok := rs.index[id]
			if !ok {
				c.bad(bp, fmt.Errorf("%w %q", ErrUnknownTarget, id))
				continue
			}
			if math.IsNaN(b) || math.IsInf(b, 0) {
				c.bad(bp, fmt.Errorf("%w, not %v", ErrBadBias, b))
				continue
			}
			if sr.bias == nil {
				sr.bias = make([]float64, len(rs.sections))
			}
			sr.bias[si] = b
		}
		if rs.sources == nil {
			rs.sources = map[string]*sourceRule{}
		}
		rs.sources[s.Name] = sr
	}
}

// Version identifies the rules: it changes whenever a rule, a section, an
// option or the matching engine does, which is how stored items know they
// need re-classifying.
func (rs *Ruleset) Version() string { return rs.version }

// Sections returns the sections in configured order.
func (rs *Ruleset) Sections() []SectionSpec { return rs.sections }
