package curator

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/feedcurator/feedcurator/feeds"
)

// The learned part of the score: a multinomial naive Bayes model over the
// terms of an item, trained on the editors' labelled examples (imported
// past issues, moves, hides).
//
// Terms are what a keyword would be, found without anyone writing it:
// character bigrams of Chinese (and the lone character of a one-character
// run), stemmed English words (Stem), the source's name and the link's
// host. A term counts once per field, twice in the title (as a keyword
// does). Naive Bayes, rather than a discriminative model, because it trains
// in one pass over the examples (retraining from scratch on every change
// of labels costs milliseconds), is deterministic without any seed or
// iteration order, and its score is a sum of one weight per term, which is
// what explains a decision term by term. Its weights are stored centred,
// each term's log-likelihoods minus their mean over the sections: a term
// that is as likely everywhere weighs nothing, and a weight reads as "this
// much more (or less) likely in this section than in the average one".

// LearnOptions tune Train.
type LearnOptions struct {
	// Alpha is the additive smoothing of term counts (0: 0.5).
	Alpha float64
	// MinCount drops terms seen in fewer examples (0: 1, keep all).
	MinCount int
}

// Model is a trained model, immutable and safe for concurrent use.
type Model struct {
	sections []string
	table    termTable // term hash -> row
	terms    []string  // row -> term, for explanations
	weights  []float32 // row*len(sections)+section: centred log-likelihood
	prior    []float64 // by section: centred log prior
	examples int
	version  string
	pool     sync.Pool
}

// learnScratch is the per-call working memory of finding terms, pooled so
// that scoring does not allocate.
type learnScratch struct {
	buf  []byte
	word []byte
	hits []termHit
	text []byte // the hits' terms, when asked for
	// set is an open-addressing set of the hashes found in the current
	// field, valid where stamp equals gen.
	set   [setSize]uint64
	stamp [setSize]uint32
	gen   uint32
}

// termHit is a term found in an item: its hash, its count weight and,
// when asked for, where its text is in learnScratch.text.
type termHit struct {
	hash     uint64
	w        float32
	off, end int32
}

// setSize bounds the distinct terms of one field: a field is cut at
// maxLearnBytes, which holds at most about 350 Chinese characters.
const setSize = 1024

// Field weights of a term: as for keywords, the title counts double.
const (
	learnTitle   = 2
	learnSummary = 1
)

// maxLearnBytes bounds the text of a summary the model reads: the opening
// of an article says what it is about, and scoring must stay cheap.
const maxLearnBytes = 1 << 10

// Train fits a model that tells sections apart from examples, whose
// Section must be one of sections (others are skipped). The same examples
// in the same order give the same model, bit for bit; the order of the
// examples does not change the weights either, only float rounding.
func Train(sections []string, examples []Labelled, opts LearnOptions) *Model {
	if opts.Alpha <= 0 {
		opts.Alpha = 0.5
	}
	if opts.MinCount <= 0 {
		opts.MinCount = 1
	}
	k := len(sections)
	si := make(map[string]int, k)
	for i, s := range sections {
		si[s] = i
	}
	type stat struct {
		text   string
		counts []float64
		docs   int
	}
	stats := map[uint64]*stat{}
	var order []uint64
	docs := make([]float64, k)
	h := sha256.New()
	sc := new(learnScratch)
	n := 0
	for i := range examples {
		ex := &examples[i]
		c, ok := si[ex.Section]
		if !ok {
			continue
		}
		n++
		docs[c]++
		h.Write([]byte(ex.Section + "\x00" + ex.Title + "\x00" + ex.Summary + "\x00" + ex.Source + "\x00" + ex.Link + "\x01"))
		it := ex.Item()
		terms := map[uint64]float64{}
		texts := map[uint64]string{}
		sc.find(&it, true)
		for _, t := range sc.hits {
			if _, ok := terms[t.hash]; !ok {
				texts[t.hash] = string(sc.text[t.off:t.end])
			}
			terms[t.hash] += float64(t.w)
		}
		for hash, w := range terms {
			st := stats[hash]
			if st == nil {
				st = &stat{text: texts[hash], counts: make([]float64, k)}
				stats[hash] = st
				order = append(order, hash)
			}
			st.counts[c] += w
			st.docs++
		}
	}
	// Rows in term order: deterministic whatever the map iteration.
	sort.Slice(order, func(a, b int) bool { return stats[order[a]].text < stats[order[b]].text })
	total := make([]float64, k)
	kept := order[:0]
	for _, hash := range order {
		st := stats[hash]
		if st.docs < opts.MinCount {
			continue
		}
		kept = append(kept, hash)
		for c := range total {
			total[c] += st.counts[c]
		}
	}
	v := float64(len(kept))
	m := &Model{sections: append([]string(nil), sections...),
		weights: make([]float32, len(kept)*k), prior: make([]float64, k), examples: n}
	ll := make([]float64, k)
	for row, hash := range kept {
		st := stats[hash]
		m.terms = append(m.terms, st.text)
		mean := 0.0
		for c := range ll {
			ll[c] = math.Log((st.counts[c] + opts.Alpha) / (total[c] + opts.Alpha*v))
			mean += ll[c]
		}
		mean /= float64(k)
		for c := range ll {
			m.weights[row*k+c] = float32(ll[c] - mean)
		}
	}
	mean := 0.0
	for c := range m.prior {
		m.prior[c] = math.Log((docs[c] + 1) / (float64(n) + float64(k)))
		mean += m.prior[c]
	}
	for c := range m.prior {
		m.prior[c] -= mean / float64(k)
	}
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], math.Float64bits(opts.Alpha)+uint64(opts.MinCount))
	h.Write(b[:])
	for _, s := range sections {
		h.Write([]byte(s + "\x00"))
	}
	m.version = "nb-" + hex.EncodeToString(h.Sum(nil)[:8])
	m.table = newTermTable(kept)
	m.pool.New = func() any { return new(learnScratch) }
	return m
}

// Sections returns the sections the model scores, in the order of Score.
func (m *Model) Sections() []string { return m.sections }

// Examples returns how many examples the model was trained on.
func (m *Model) Examples() int { return m.examples }

// Terms returns how many terms the model knows.
func (m *Model) Terms() int { return len(m.terms) }

// Version identifies the model: it changes with the examples, their order
// aside from ties, and the options.
func (m *Model) Version() string { return m.version }

// Score adds to dst (grown to the sections if shorter) each section's
// log-odds for it, in Sections order: the centred log prior plus the sum of
// the centred weights of its terms. The section with the highest score is
// the model's choice; differences of scores are log-likelihood ratios.
func (m *Model) Score(it *feeds.Item, dst []float64) []float64 {
	k := len(m.sections)
	if len(dst) < k {
		dst = append(dst, make([]float64, k-len(dst))...)
	}
	for c := 0; c < k; c++ {
		dst[c] += m.prior[c]
	}
	if len(m.terms) == 0 {
		return dst
	}
	sc := m.pool.Get().(*learnScratch)
	sc.find(it, false)
	for _, t := range sc.hits {
		row := m.table.get(t.hash)
		if row < 0 {
			continue
		}
		ws := m.weights[int(row)*k : int(row)*k+k]
		for c, x := range ws {
			dst[c] += float64(t.w * x)
		}
	}
	m.pool.Put(sc)
	return dst
}

// Posterior turns scores (from Score) into probabilities, in place.
func Posterior(scores []float64) []float64 {
	best := math.Inf(-1)
	for _, s := range scores {
		best = math.Max(best, s)
	}
	sum := 0.0
	for i, s := range scores {
		scores[i] = math.Exp(s - best)
		sum += scores[i]
	}
	for i := range scores {
		scores[i] /= sum
	}
	return scores
}

// LearnedExplanation is the model's contribution to one item, term by term.
type LearnedExplanation struct {
	Version  string         `json:"model_version"`
	Examples int            `json:"examples"`
	Scores   []LearnedScore `json:"scores"`
}

// LearnedScore is one section's log-odds, with the terms that weigh most
// for and against it.
type LearnedScore struct {
	Section string       `json:"section"`
	Score   float64      `json:"score"`
	Prior   float64      `json:"prior"`
	Terms   []TermWeight `json:"terms"`
}

// TermWeight is what one term of the item added to a section's score:
// Count (2 in the title, 1 in the summary, summed) times the term's weight.
type TermWeight struct {
	Term   string  `json:"term"`
	Count  float64 `json:"count"`
	Weight float64 `json:"weight"`
}

// Explain scores it and lists, for each section, the top terms by the
// size of what they added (for or against), at most top of them.
func (m *Model) Explain(it *feeds.Item, top int) LearnedExplanation {
	k := len(m.sections)
	ex := LearnedExplanation{Version: m.version, Examples: m.examples}
	type found struct {
		row   int32
		count float64
	}
	var terms []found
	at := map[int32]int{}
	sc := new(learnScratch)
	sc.find(it, false)
	for _, h := range sc.hits {
		row := m.table.get(h.hash)
		if row < 0 {
			continue
		}
		if i, ok := at[row]; ok {
			terms[i].count += float64(h.w)
			continue
		}
		at[row] = len(terms)
		terms = append(terms, found{row: row, count: float64(h.w)})
	}
	for c := 0; c < k; c++ {
		ls := LearnedScore{Section: m.sections[c], Prior: m.prior[c], Score: m.prior[c], Terms: []TermWeight{}}
		for _, t := range terms {
			w := t.count * float64(m.weights[int(t.row)*k+c])
			ls.Score += w
			ls.Terms = append(ls.Terms, TermWeight{Term: m.terms[t.row], Count: t.count, Weight: w})
		}
		sort.SliceStable(ls.Terms, func(i, j int) bool {
			a, b := math.Abs(ls.Terms[i].Weight), math.Abs(ls.Terms[j].Weight)
			return a > b || a == b && ls.Terms[i].Term < ls.Terms[j].Term
		})
		if len(ls.Terms) > top {
			ls.Terms = ls.Terms[:top]
		}
		ex.Scores = append(ex.Scores, ls)
	}
	return ex
}

// Term prefixes: a term's kind is part of it, so the word "go" and the
// source "go" are two terms.
const (
	termCJK    = 'c'
	termWord   = 'w'
	termSource = 's'
	termHost   = 'h'
)

// find fills sc.hits with the terms of it, once per field each, and their
// texts too when keep is set.
func (sc *learnScratch) find(it *feeds.Item, keep bool) {
	sc.hits, sc.text = sc.hits[:0], sc.text[:0]
	title := it.Title
	if len(title) > maxLearnBytes {
		title = title[:maxLearnBytes]
	}
	sc.buf = fold(sc.buf[:0], title)
	sc.field(sc.buf, learnTitle, keep)
	summary := it.Summary
	if summary == "" {
		summary = it.Content
	}
	sc.buf = foldHTML(sc.buf[:0], summary, maxLearnBytes)
	sc.field(sc.buf, learnSummary, keep)
	sc.next()
	if it.SourceName != "" {
		sc.buf = fold(append(sc.buf[:0], termSource, ':'), it.SourceName)
		sc.add(sc.buf, 1, keep)
	}
	if host := hostOf(it.Link); host != "" {
		sc.buf = fold(append(sc.buf[:0], termHost, ':'), host)
		sc.add(sc.buf, 1, keep)
	}
}

// next starts a new field: the set of terms seen empties.
func (sc *learnScratch) next() {
	sc.gen++
	if sc.gen == 0 {
		clear(sc.stamp[:])
		sc.gen = 1
	}
}

// add records term unless the field had it already.
func (sc *learnScratch) add(term []byte, w float32, keep bool) {
	h := hashTerm(term)
	for i := h & (setSize - 1); ; i = (i + 1) & (setSize - 1) {
		if sc.stamp[i] != sc.gen {
			sc.stamp[i], sc.set[i] = sc.gen, h
			break
		}
		if sc.set[i] == h {
			return
		}
	}
	t := termHit{hash: h, w: w}
	if keep {
		t.off = int32(len(sc.text))
		sc.text = append(sc.text, term...)
		t.end = int32(len(sc.text))
	}
	sc.hits = append(sc.hits, t)
}

// field finds the terms of one folded field.
func (sc *learnScratch) field(text []byte, w float32, keep bool) {
	sc.next()
	var prev rune // the last character of the Chinese run so far
	runLen := 0
	var term [16]byte
	flushRun := func() {
		if runLen == 1 {
			t := append(term[:0], termCJK, ':')
			sc.add(utf8.AppendRune(t, prev), w, keep)
		}
		runLen = 0
	}
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			if isWordByte(c) {
				j := i
				for j < len(text) && text[j] < utf8.RuneSelf && isWordByte(text[j]) {
					j++
				}
				flushRun()
				sc.word = append(append(sc.word[:0], termWord, ':'), text[i:j]...)
				if stem := Stem(sc.word[2:]); len(stem) > 1 && !stopWord(stem) {
					sc.add(sc.word[:2+len(stem)], w, keep)
				}
				i = j
				continue
			}
			flushRun()
			i++
			continue
		}
		r, n := utf8.DecodeRune(text[i:])
		i += n
		if !isHan(r) {
			flushRun()
			continue
		}
		if runLen > 0 {
			t := append(term[:0], termCJK, ':')
			t = utf8.AppendRune(t, prev)
			sc.add(utf8.AppendRune(t, r), w, keep)
		}
		prev = r
		runLen++
	}
	flushRun()
}

// termTable maps term hashes to rows: open addressing with linear
// probing, faster than a map on the scoring path.
type termTable struct {
	keys []uint64 // 0: empty (a hash of 0 is stored as 1)
	rows []int32
	mask uint64
}

func newTermTable(hashes []uint64) termTable {
	size := 16
	for size < 2*len(hashes) {
		size *= 2
	}
	t := termTable{keys: make([]uint64, size), rows: make([]int32, size), mask: uint64(size - 1)}
	for row, h := range hashes {
		h = max(h, 1)
		i := h & t.mask
		for t.keys[i] != 0 {
			i = (i + 1) & t.mask
		}
		t.keys[i], t.rows[i] = h, int32(row)
	}
	return t
}

// get returns the row of hash h, or -1.
func (t *termTable) get(h uint64) int32 {
	h = max(h, 1)
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		switch t.keys[i] {
		case h:
			return t.rows[i]
		case 0:
			return -1
		}
	}
}

func isHan(r rune) bool {
	return r >= 0x4E00 && r <= 0x9FFF || r >= 0x3400 && r <= 0x4DBF || r >= 0xF900 && r <= 0xFAFF || r >= 0x20000 && r <= 0x2FFFF
}

// hashTerm is 64-bit FNV-1a.
func hashTerm(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// stopWord reports English words that say nothing about a section.
func stopWord(w []byte) bool {
	_, ok := stopWords[string(w)] // no allocation: the compiler sees the conversion in a lookup
	return ok
}

var stopWords = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, w := range []string{"the", "an", "and", "or", "of", "to", "in", "on", "for", "with", "at", "by", "from",
		"is", "are", "was", "be", "been", "it", "this", "that", "as", "we", "you", "your", "our", "how", "what",
		"why", "not", "no", "can", "will", "ha", "have", "do", "doe", "into", "about", "more", "new", "its", "all",
		"but", "if", "so", "up", "out", "one", "two", "now", "here", "there", "their", "they", "which", "who",
		"when", "than", "then", "also", "just", "over", "after", "use", "us", "my", "me", "i", "he", "she",
		"nbsp", "amp", "quot", "http", "https", "www", "com"} {
		m[string(Stem([]byte(w)))] = struct{}{}
	}
	return m
}()

// Stem reduces an English word (lower case ASCII) to a stem, in place, by a
// few conservative suffix rules: plurals and third persons (outages,
// acquires, libraries, classes), -ed and -ing (acquired, acquiring,
// running), and a final e (acquire, outage), so that the forms of one word
// meet: outage, outages → outag; acquire, acquires, acquired, acquiring →
// acquir. It leaves short words, words in -ss, -us and -is, and numbers
// alone, and never produces a stem under three letters. A full Porter or
// Snowball stemmer would conflate more (acquisition with acquire) but also
// more wrongly (general, generic → gener); the model needs forms to meet,
// not meanings.
func Stem(w []byte) []byte {
	if len(w) <= 3 || w[len(w)-1] >= '0' && w[len(w)-1] <= '9' {
		return w
	}
	has := func(s string) bool {
		return len(w) >= len(s) && string(w[len(w)-len(s):]) == s
	}
	switch {
	case has("ies") && len(w) > 4:
		w = append(w[:len(w)-3], 'y')
	case has("sses"):
		w = w[:len(w)-2]
	case has("ss"), has("us"), has("is"):
	case has("s") && len(w) > 3:
		w = w[:len(w)-1]
	}
	switch {
	case has("ing") && len(w) >= 7:
		w = w[:len(w)-3]
		w = undouble(w)
	case has("ed") && len(w) >= 6 && !has("eed"):
		w = w[:len(w)-2]
		w = undouble(w)
	}
	if has("e") && len(w) > 4 {
		w = w[:len(w)-1]
	}
	return w
}

// undouble drops one of a doubled final consonant (runn → run), but keeps
// ll, ss and zz (install, process).
func undouble(w []byte) []byte {
	n := len(w)
	if n >= 4 && w[n-1] == w[n-2] {
		switch w[n-1] {
		case 'l', 's', 'z', 'a', 'e', 'i', 'o', 'u':
			return w
		}
		return w[:n-1]
	}
	return w
}

// WriteText writes the model's part of a decision for people, as explain
// shows it beside the rules that fired: per section, what the model adds at
// weight (weight times its log-odds), then the terms that weigh most, each
// with what it adds at that weight.
//
//	learned:  model nb-3f2a…, 504 examples, weight 0.5
//	  industry    +3.1  c:收购 +1.4, c:融资 +0.9, s:techcrunch +0.4
//	  paas        -0.8  c:收购 -0.6, w:kubernet +0.5
func (e LearnedExplanation) WriteText(w io.Writer, weight float64) error {
	var b strings.Builder
	fmt.Fprintf(&b, "learned:  model %s, %d examples, weight %s\n", e.Version, e.Examples, num(weight))
	idW, scoreW := 0, 0
	for _, s := range e.Scores {
		idW, scoreW = max(idW, width(s.Section)), max(scoreW, len(signed(weight*s.Score)))
	}
	for _, s := range e.Scores {
		v := signed(weight * s.Score)
		fmt.Fprintf(&b, "  %s  %s%s", pad(s.Section, idW), strings.Repeat(" ", scoreW-len(v)), v)
		for i, t := range s.Terms {
			sep := ", "
			if i == 0 {
				sep = "  "
			}
			fmt.Fprintf(&b, "%s%s %s", sep, t.Term, signed(weight*t.Weight))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
