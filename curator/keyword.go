package curator

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// maxNear is the largest gap a keyword's ~N allows.
const maxNear = 20

// keywordPattern is one automaton pattern of a keyword, with the word
// boundaries it needs.
type keywordPattern struct {
	text                 string
	boundStart, boundEnd bool
}

// keywordPatterns returns the patterns of the folded keyword fk: its word
// forms, or fk alone when it starts with "=" (exactly as written) or has a *
// at either end (which lifts the word boundary there). It reports false for
// an empty keyword.
func keywordPatterns(fk string) ([]keywordPattern, bool) {
	exact := strings.HasPrefix(fk, "=")
	if exact {
		fk = strings.TrimSpace(fk[1:])
	}
	prefix, suffix := strings.HasPrefix(fk, "*"), strings.HasSuffix(fk, "*")
	fk = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(fk, "*"), "*"))
	if fk == "" {
		return nil, false
	}
	forms := []string{fk}
	if !exact && !prefix && !suffix {
		forms = wordForms(strings.Join(strings.Fields(fk), " "))
		if forms[0] != fk {
			forms = append([]string{fk}, forms...)
		}
	}
	out := make([]keywordPattern, 0, len(forms))
	for _, f := range forms {
		bs, be := latinEdges(f)
		out = append(out, keywordPattern{text: f, boundStart: bs && !prefix, boundEnd: be && !suffix})
	}
	return out, true
}

// patternsFor adds the automaton patterns that mark term ti as found.
func (c *compiler) patternsFor(ti int32, pats []keywordPattern) {
	rs := c.rs
	for _, kp := range pats {
		pi, ok := c.patIndex[kp.text]
		if !ok {
			pi = int32(len(c.patterns))
			c.patIndex[kp.text] = pi
			c.patterns = append(c.patterns, kp.text)
			rs.refs = append(rs.refs, nil)
		}
		dup := false
		for _, r := range rs.refs[pi] {
			dup = dup || r.term == ti && r.boundStart == kp.boundStart && r.boundEnd == kp.boundEnd
		}
		if !dup {
			rs.refs[pi] = append(rs.refs[pi], patternRef{term: ti, boundStart: kp.boundStart, boundEnd: kp.boundEnd})
		}
	}
}

// nearGap reports whether a word of a keyword is a ~N and its N.
func nearGap(w string) (int, bool) {
	if len(w) < 2 || w[0] != '~' {
		return 0, false
	}
	n, err := strconv.Atoi(w[1:])
	if err != nil || w[1] == '+' || w[1] == '-' {
		return 0, false
	}
	return n, true
}

// isNear reports whether the folded keyword fk holds a ~N between words.
func isNear(fk string) bool {
	for _, w := range strings.Fields(fk) {
		if _, ok := nearGap(w); ok {
			return true
		}
	}
	return false
}

// Between the parts of a ~N keyword: separators (ASCII punctuation and
// spaces, Chinese punctuation) and words (a run of Latin letters and digits,
// or one Chinese character).
const (
	nearSep  = `[^a-z0-9_\x{80}-\x{3000}\x{3040}-\x{10ffff}]*`
	nearWord = `(?:[a-z0-9_]+|[\x{80}-\x{3000}\x{3040}-\x{10ffff}])`
)

// nearTerm compiles a keyword with gaps, such as "acquire ~3 startup": its
// parts in that order, each in any of its word forms, with at most N words
// between two parts. It becomes a regex term of node n, run only on the
// items where its longest part was found: the automaton marks that part as
// a trigger term of the rule, which queues the rule without counting.
func (c *compiler) nearTerm(ruleIdx int32, path, k, fk string, fields uint16, n *node) {
	rs := c.rs
	var parts [][]keywordPattern
	var gaps []int
	var words []string
	flush := func() bool {
		if len(words) == 0 {
			return false
		}
		pats, ok := keywordPatterns(strings.Join(words, " "))
		words = words[:0]
		if !ok {
			return false
		}
		parts = append(parts, pats)
		return true
	}
	for _, w := range strings.Fields(fk) {
		g, ok := nearGap(w)
		if !ok {
			words = append(words, w)
			continue
		}
		if g > maxNear || !flush() {
			c.bad(path, fmt.Errorf("%w: %q", ErrBadNear, k))
			return
		}
		gaps = append(gaps, g)
	}
	if !flush() {
		c.bad(path, fmt.Errorf("%w: %q", ErrBadNear, k))
		return
	}
	var b strings.Builder
	for i, pats := range parts {
		if i > 0 {
			fmt.Fprintf(&b, `(?:%s%s){0,%d}%s`, nearSep, nearWord, gaps[i-1], nearSep)
		}
		b.WriteString(nearAlternation(pats))
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		c.bad(path, fmt.Errorf("%w: %v", ErrBadRegex, err))
		return
	}
	ti := int32(len(rs.terms))
	rs.terms = append(rs.terms, term{rule: ruleIdx, fields: fields, text: k, re: re})
	n.terms = append(n.terms, ti)
	// The longest part is likely the rarest ("编排" rather than "docker",
	// "semantic" rather than "release"): it decides when the regex runs.
	rarest := 0
	for i, pats := range parts {
		if len(pats[0].text) >= len(parts[rarest][0].text) {
			rarest = i
		}
	}
	trigger := ti + 1
	rs.terms = append(rs.terms, term{rule: ruleIdx, fields: fields, text: k})
	c.patternsFor(trigger, parts[rarest])
	c.near = true
}

// nearAlternation is the regex of one part of a ~N keyword: its forms,
// longest first, within the word boundaries they need.
func nearAlternation(pats []keywordPattern) string {
	alts := make([]string, len(pats))
	for i, p := range pats {
		alts[i] = regexp.QuoteMeta(p.text)
	}
	sort.SliceStable(alts, func(i, j int) bool { return len(alts[i]) > len(alts[j]) })
	s := "(?:" + strings.Join(alts, "|") + ")"
	if pats[0].boundStart {
		s = `\b` + s
	}
	if pats[0].boundEnd {
		s += `\b`
	}
	return s
}
