package curator

import (
	"math"
	"strings"

	"github.com/feedcurator/feedcurator/feeds"
)

// Decision is the outcome of classifying one item.
type Decision struct {
	Section  string
	Score    float64
	Excluded bool // an exclude rule fired: keep the item, never publish it
	// Review is set when the decision is a close call an editor should
	// look at: another section scored within the review margin of the
	// winner, or a section came within the margin of the threshold but
	// below it.
	Review bool
}

// How a decision was reached.
const (
	ByScore         = "score"          // the section with the highest score reached the threshold
	BySourceDefault = "source_default" // none did; the source's default section
	ByFallback      = "fallback"       // none did; the fallback section
	ByFinalRule     = "final_rule"     // a rule marked final fired: its section won outright
)

// hit records that a keyword term matched in a field (kept for explanations).
type hit struct {
	term       int32
	field      Field
	start, end int32
}

// scratch is the per-call working memory, pooled so that classifying does not
// allocate. Per-term and per-rule state is stamped with gen instead of being
// cleared for every item.
type scratch struct {
	buf     [numFields][]byte
	raw     []uint64
	gen     uint32
	seen    []uint32  // by term: gen when it matched in one of its fields
	title   []uint32  // by term: gen when it matched in the title
	reDone  []uint32  // by term: gen when its regex was run
	touched []uint32  // by rule: gen when it was queued
	acc     []float64 // by rule: sum of boosts of its matched keywords
	queue   []int32   // rules to evaluate
	scores  []float64
	hits    []hit     // explanations only
	contrib []int32   // explanations only: terms that counted
	learned []float64 // by model section: the learned part's log-odds
	final   int       // the section of the best final rule that fired; -1 for none
	finalAt float64   // its score
}

func (sc *scratch) reset(rs *Ruleset) {
	// A new scratch is sized on first use. The scores count too: a ruleset
	// with no rules and no terms (every section reached only by source
	// defaults, the fallback or the editor) still has sections to score.
	if len(sc.seen) != len(rs.terms) || len(sc.touched) != len(rs.rules) || len(sc.scores) != len(rs.sections) {
		sc.seen = make([]uint32, len(rs.terms))
		sc.title = make([]uint32, len(rs.terms))
		sc.reDone = make([]uint32, len(rs.terms))
		sc.touched = make([]uint32, len(rs.rules))
		sc.acc = make([]float64, len(rs.rules))
		sc.scores = make([]float64, len(rs.sections))
		sc.gen = 0
	}
	sc.gen++
	if sc.gen == 0 { // wrapped: stale stamps could collide
		clear(sc.seen)
		clear(sc.title)
		clear(sc.reDone)
		clear(sc.touched)
		sc.gen = 1
	}
	sc.queue = sc.queue[:0]
	sc.final, sc.finalAt = -1, 0
	sc.hits = sc.hits[:0]
	sc.contrib = sc.contrib[:0]
	clear(sc.scores)
}

// Classify returns the section for it. It is the hot path: it records
// nothing for an explanation (Explain does, at twice the cost).
func (rs *Ruleset) Classify(it *feeds.Item) Decision {
	sc := rs.pool.Get().(*scratch)
	rs.match(it, sc, false)
	excluded := rs.score(sc)
	d, _, _ := rs.decide(it, sc, excluded)
	rs.pool.Put(sc)
	return d
}

// Explain classifies it and says why: every rule that fired with what it
// matched, the scores and how the decision was reached. It decides as
// Classify does.
func (rs *Ruleset) Explain(it *feeds.Item) Explanation {
	sc := rs.pool.Get().(*scratch)
	ex := Explanation{Threshold: rs.thresh, Version: rs.version, Fired: []Firing{}}
	rs.match(it, sc, true)
	excluded := rs.scoreExplained(sc, &ex)
	rules := append([]float64(nil), sc.scores...) // before bias and learning
	d, how, src := rs.decide(it, sc, excluded)
	rs.describe(&ex, it, d, how, src, rules, sc)
	rs.pool.Put(sc)
	return ex
}

// match folds the fields of it that some rule reads and runs the automaton
// once over each: it marks the keywords found (sc.seen, sc.title, and in
// sc.acc the boost each rule's keywords add) and queues the rules they
// belong to, with the rules that are always evaluated, in rule order. With
// hits, it also records where each keyword matched, for an explanation.
func (rs *Ruleset) match(it *feeds.Item, sc *scratch, hits bool) {
	sc.reset(rs)
	rs.foldFields(it, sc)
	gen := sc.gen
	for f := Field(0); f < numFields; f++ {
		text := sc.buf[f]
		if rs.fields&(1<<f) == 0 || len(text) == 0 {
			continue
		}
		sc.raw = rs.m.scan(sc.raw[:0], text)
		for _, r := range sc.raw {
			p, end := int32(r>>32), int(uint32(r))
			start := end - len(rs.m.patterns[p])
			for _, ref := range rs.refs[p] {
				t := &rs.terms[ref.term]
				if t.fields&(1<<f) == 0 {
					continue
				}
				if ref.boundStart && start > 0 && isWordByte(text[start-1]) {
					continue
				}
				if ref.boundEnd && end < len(text) && isWordByte(text[end]) {
					continue
				}
				if hits {
					sc.hits = append(sc.hits, hit{term: ref.term, field: f, start: int32(start), end: int32(end)})
				}
				if sc.touched[t.rule] != gen {
					sc.touched[t.rule] = gen
					sc.acc[t.rule] = 0
					sc.queue = append(sc.queue, t.rule)
				}
				// A term counts once, twice if it matched in the title.
				if sc.seen[ref.term] != gen {
					sc.seen[ref.term] = gen
					sc.acc[t.rule]++
				}
				if f == FieldTitle && sc.title[ref.term] != gen {
					sc.title[ref.term] = gen
					sc.acc[t.rule] += titleBoost - 1
				}
			}
		}
	}
	for _, ri := range rs.always {
		if sc.touched[ri] != gen {
			sc.touched[ri] = gen
			sc.acc[ri] = 0
			sc.queue = append(sc.queue, ri)
		}
	}
	sortRules(sc.queue)
}

// score evaluates the queued rules into sc.scores and reports whether an
// exclude rule fired. A simple rule (keywords only) scores from the boosts
// match summed; the others evaluate their conditions.
func (rs *Ruleset) score(sc *scratch) (excluded bool) {
	for _, ri := range sc.queue {
		r := &rs.rules[ri]
		if r.section < 0 && excluded {
			continue // one exclusion is enough
		}
		ok, raw := true, sc.acc[ri]
		if !r.simple {
			ok, raw = rs.eval(r.root, sc, false)
		}
		if !ok {
			continue
		}
		if r.section < 0 {
			excluded = true
		} else {
			score := r.weight * raw
			sc.scores[r.section] += score
			sc.noteFinal(r, score)
		}
	}
	return excluded
}

// noteFinal records rule r, which fired with score, if it is final and
// scored more than any final rule before it.
func (sc *scratch) noteFinal(r *rule, score float64) {
	if r.final && (sc.final < 0 || score > sc.finalAt) {
		sc.final, sc.finalAt = r.section, score
	}
}

// scoreExplained is score recording, for each rule that fires, the terms
// that counted and what they matched.
func (rs *Ruleset) scoreExplained(sc *scratch, ex *Explanation) (excluded bool) {
	for _, ri := range sc.queue {
		r := &rs.rules[ri]
		ok, raw := rs.eval(r.root, sc, true)
		if !ok {
			sc.contrib = sc.contrib[:0]
			continue
		}
		var score float64
		if r.section < 0 {
			excluded = true
		} else {
			score = r.weight * raw
			sc.scores[r.section] += score
			sc.noteFinal(r, score)
		}
		f := rs.firing(r, score, sc)
		if r.section < 0 {
			ex.Exclusions = append(ex.Exclusions, f)
		} else {
			ex.Fired = append(ex.Fired, f)
		}
		sc.contrib = sc.contrib[:0]
	}
	return excluded
}

// biasOf is what a source's bias b adds to a section whose rules scored
// rules: all of it when a rule of the section fired; otherwise, as a prior
// that every item of the source gets, half of a positive bias and at most
// half the threshold, so that the bias alone never decides (a negative
// bias counts only against a section that scored).
func (rs *Ruleset) biasOf(b, rules float64) float64 {
	if rules > 0 {
		return b
	}
	if b > 0 {
		return min(b, rs.thresh) / 2
	}
	return 0
}

// decide turns the section scores in sc into the decision: the source's
// bias is added (see biasOf) and its default section's prior to that
// section, then the learned part (if the
// ruleset has one), the best section wins if it reaches the threshold, and
// otherwise the item goes to its source's default section or to the
// fallback. It returns how the decision was reached and the item's source
// settings, if any.
func (rs *Ruleset) decide(it *feeds.Item, sc *scratch, excluded bool) (Decision, string, *sourceRule) {
	scores := sc.scores
	var src *sourceRule
	if rs.sources != nil {
		src = rs.sources[it.SourceName]
	}
	if src != nil && src.bias != nil {
		for si, b := range src.bias {
			scores[si] += rs.biasOf(b, scores[si])
		}
	}
	if src != nil && src.section >= 0 {
		// The default section is a prior: it counts for every item of the
		// source, not only for those that no section claims.
		scores[src.section] += src.dflt
	}
	if sc.final >= 0 {
		// A final rule fired: an event outranks every topic word and the
		// learned part; the editor's threshold does not apply to it.
		best := sc.final
		return Decision{Section: rs.sections[best].ID, Score: scores[best], Excluded: excluded}, ByFinalRule, src
	}
	best := rs.bestSection(scores, src, nil)
	score := 0.0
	if best >= 0 {
		score = scores[best]
	}
	if rs.learned != nil {
		// The rules stay in charge: when the blended scores reach no
		// threshold, the rules' own choice stands.
		rs.addLearned(it, sc, scores)
		if b := rs.bestSection(scores, src, sc.learned); b >= 0 && scores[b] >= rs.thresh {
			best, score = b, scores[b]
		}
	}
	how := ByScore
	if best < 0 || score < rs.thresh {
		if src != nil && src.section >= 0 {
			best, how = src.section, BySourceDefault
		} else {
			best, how = rs.fallback, ByFallback
		}
		score = scores[best]
	}
	d := Decision{Section: rs.sections[best].ID, Score: score, Excluded: excluded}
	d.Review = rs.closeCall(scores, best, how, src)
	return d, how, src
}

// closeCall reports whether the decision for section best, reached by how,
// needs an editor's look: by score, when the runner-up is within the review
// margin; by source default or fallback, when a section that scored more
// than the source's priors gave it came within the review margin of the
// threshold (an item nothing claims, or that the learned part leans on only
// a little, is no close call).
func (rs *Ruleset) closeCall(scores []float64, best int, how string, src *sourceRule) bool {
	if rs.review <= 0 {
		return false
	}
	runnerUp := 0.0
	for si, s := range scores {
		if si != best && s > runnerUp {
			runnerUp = s
		}
	}
	if how != ByScore {
		for si, s := range scores {
			evidence := s
			if src != nil {
				if si == src.section {
					evidence -= src.dflt
				}
				if src.bias != nil {
					evidence -= rs.biasOf(src.bias[si], 0)
				}
			}
			if evidence > 0 && s >= rs.thresh-rs.review {
				return true
			}
		}
		return false
	}
	return runnerUp > 0 && scores[best]-runnerUp < rs.review
}

// bestSection returns the section with the highest positive score; -1 when
// none scored above 0. A tie goes to the source's default section, then to
// the section the learned part prefers (learned, by model section, may be
// nil), and only then to the earlier section; it is a close call all the
// same (Decision.Review).
func (rs *Ruleset) bestSection(scores []float64, src *sourceRule, learned []float64) int {
	best := -1
	for si, s := range scores {
		if s <= 0 {
			continue
		}
		if best < 0 || s > scores[best] || (s == scores[best] && rs.breaksTie(si, best, src, learned)) {
			best = si
		}
	}
	return best
}

// breaksTie reports whether section a wins a tie against section b.
func (rs *Ruleset) breaksTie(a, b int, src *sourceRule, learned []float64) bool {
	if src != nil && src.section >= 0 && (a == src.section || b == src.section) {
		return a == src.section
	}
	if lp := rs.learned; lp != nil && learned != nil {
		la, lb := math.Inf(-1), math.Inf(-1)
		for mi, si := range lp.at {
			switch si {
			case a:
				la = learned[mi]
			case b:
				lb = learned[mi]
			}
		}
		if la != lb {
			return la > lb
		}
	}
	return false
}

// describe fills the decision part of an explanation; rules are the
// sections' scores from the rules alone, sc holds the totals and the
// learned part.
func (rs *Ruleset) describe(ex *Explanation, it *feeds.Item, d Decision, how string, src *sourceRule, rules []float64, sc *scratch) {
	ex.Section, ex.Score, ex.Decision, ex.Excluded, ex.Review = d.Section, d.Score, how, d.Excluded, d.Review
	ex.ReviewMargin = rs.review
	ex.Fallback = how == ByFallback
	if src != nil {
		ex.Source = &SourceInfo{Name: it.SourceName}
		if src.section >= 0 {
			ex.Source.DefaultSection = rs.sections[src.section].ID
			ex.Source.DefaultPrior = src.dflt
		}
	}
	if lp := rs.learned; lp != nil {
		le := lp.model.Explain(it, 5)
		ex.Learned = &le
		ex.LearnedWeight = lp.weight
	}
	for si, s := range sc.scores {
		ss := SectionScore{Section: rs.sections[si].ID, Score: s, Rules: rules[si]}
		if lp := rs.learned; lp != nil {
			for mi, at := range lp.at {
				if at == si {
					ss.Learned = lp.weight * sc.learned[mi]
				}
			}
		}
		if src != nil && src.bias != nil && src.bias[si] != 0 {
			ss.Bias = rs.biasOf(src.bias[si], rules[si])
		}
		if src != nil && si == src.section {
			ss.SourceDefault = src.dflt
		}
		ex.Scores = append(ex.Scores, ss)
	}
}

// eval reports whether condition ni holds and the sum of the boosts of the
// terms that count in it. With explain, the counting terms are appended to
// sc.contrib (and removed again when the condition fails).
func (rs *Ruleset) eval(ni int32, sc *scratch, explain bool) (bool, float64) {
	n := &rs.nodes[ni]
	mark := len(sc.contrib)
	fail := func() (bool, float64) {
		sc.contrib = sc.contrib[:mark]
		return false, 0
	}
	var raw float64
	if len(n.terms) > 0 {
		for _, t := range n.terms {
			if b := rs.boost(t, sc); b > 0 {
				raw += b
				if explain {
					sc.contrib = append(sc.contrib, t)
				}
			}
		}
		if raw == 0 {
			return fail()
		}
	}
	for _, c := range n.all {
		ok, r := rs.eval(c, sc, explain)
		if !ok {
			return fail()
		}
		raw += r
	}
	if len(n.any) > 0 {
		found := false
		for _, c := range n.any {
			if ok, r := rs.eval(c, sc, explain); ok {
				found = true
				raw += r
			}
		}
		if !found {
			return fail()
		}
	}
	for _, c := range n.none {
		if ok, _ := rs.eval(c, sc, false); ok {
			return fail()
		}
	}
	return true, raw
}

// boost is what term t adds to its rule: 0 if it did not match, titleBoost
// if it matched in the title, else 1. Regexes run here, on demand, once per
// item.
func (rs *Ruleset) boost(ti int32, sc *scratch) float64 {
	t := &rs.terms[ti]
	if t.re != nil && sc.reDone[ti] != sc.gen {
		sc.reDone[ti] = sc.gen
		for f := Field(0); f < numFields; f++ {
			if t.fields&(1<<f) == 0 || len(sc.buf[f]) == 0 || !t.re.Match(sc.buf[f]) {
				continue
			}
			sc.seen[ti] = sc.gen
			if f == FieldTitle {
				sc.title[ti] = sc.gen
			}
			break // the title comes first: the boost is known
		}
	}
	switch {
	case sc.seen[ti] != sc.gen:
		return 0
	case sc.title[ti] == sc.gen:
		return titleBoost
	default:
		return 1
	}
}

// firing describes rule r, which fired with score, from sc.contrib.
func (rs *Ruleset) firing(r *rule, score float64, sc *scratch) Firing {
	f := Firing{Rule: r.index, Path: r.path, Name: r.name, Score: score, Final: r.final, Matches: []Match{}}
	if r.section >= 0 {
		f.Section = rs.sections[r.section].ID
		f.Weight = r.weight
	}
	for _, ti := range sc.contrib {
		t := &rs.terms[ti]
		if t.re != nil {
			for fl := Field(0); fl < numFields; fl++ {
				if t.fields&(1<<fl) == 0 {
					continue
				}
				if loc := t.re.FindIndex(sc.buf[fl]); loc != nil {
					f.Matches = append(f.Matches, Match{Field: fl.String(), Term: t.text, Text: string(sc.buf[fl][loc[0]:loc[1]])})
				}
			}
			continue
		}
		last := Field(numFields)
		for _, h := range sc.hits {
			if h.term == ti && h.field != last { // the first match in each field
				last = h.field
				f.Matches = append(f.Matches, Match{Field: h.field.String(), Term: t.text, Text: string(sc.buf[h.field][h.start:h.end])})
			}
		}
	}
	return f
}

// sortRules orders rule indexes: an insertion sort, since an item touches a
// handful of rules and this must not allocate.
func sortRules(q []int32) {
	for i := 1; i < len(q); i++ {
		for j := i; j > 0 && q[j] < q[j-1]; j-- {
			q[j], q[j-1] = q[j-1], q[j]
		}
	}
}

// maxFieldBytes bounds how much of a long field is matched: the opening of an
// article says what it is about, and the cost of classifying must not grow
// with the length of full-text feeds.
const maxFieldBytes = 8 << 10

// foldFields normalises the fields that some rule matches.
func (rs *Ruleset) foldFields(it *feeds.Item, sc *scratch) {
	for f := range sc.buf {
		sc.buf[f] = sc.buf[f][:0]
	}
	use := func(f Field) bool { return rs.fields&(1<<f) != 0 }
	if use(FieldTitle) {
		sc.buf[FieldTitle] = fold(sc.buf[FieldTitle], it.Title)
	}
	if use(FieldSummary) {
		sc.buf[FieldSummary] = foldHTML(sc.buf[FieldSummary], it.Summary, maxFieldBytes)
	}
	if use(FieldContent) {
		sc.buf[FieldContent] = foldHTML(sc.buf[FieldContent], it.Content, maxFieldBytes)
	}
	if use(FieldCategories) {
		sc.buf[FieldCategories] = foldList(sc.buf[FieldCategories], it.Categories)
	}
	if use(FieldAuthor) {
		sc.buf[FieldAuthor] = fold(sc.buf[FieldAuthor], it.Author)
	}
	if use(FieldHost) {
		sc.buf[FieldHost] = fold(sc.buf[FieldHost], hostOf(it.Link))
	}
	if use(FieldSource) {
		sc.buf[FieldSource] = fold(sc.buf[FieldSource], it.SourceName)
	}
	if use(FieldTags) {
		sc.buf[FieldTags] = foldList(sc.buf[FieldTags], it.SourceTags)
	}
}

// foldList folds a list of short strings into one text, " | " apart so that
// a keyword cannot match across two of them.
func foldList(dst []byte, list []string) []byte {
	for i, s := range list {
		if i > 0 {
			dst = append(dst, " | "...)
		}
		dst = fold(dst, s)
	}
	return dst
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
