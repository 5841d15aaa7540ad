package curator

import "strings"

// English word forms. A Latin keyword is compiled into every form of its
// words that English inflection gives (plural and third person -s/-es/-ies,
// past -ed/-d/-ied, -ing with the final e dropped or the consonant doubled),
// plus the derived forms of a few words that news about events uses
// (acquire/acquisition, lay off/layoff; listed in families), each form a pattern of the same
// automaton with the same word boundaries. Matching stays one pass and
// exact: "general" matches "generals", never "generic", and forms that are
// not English words are generated but simply never met.

// minInflect is the length under which a word is not inflected: "us", "it"
// and "go" would otherwise match "uses", "its" and "goes".
const minInflect = 3

// maxForms bounds the forms of one keyword; a phrase whose words would give
// more is inflected on its last word only.
const maxForms = 48

// families are groups of words or phrases that match one another's forms:
// derivations and irregular forms that suffix rules cannot produce. Every
// member is inflected as well (acquisitions, layoffs).
var families = [][]string{
	{"acquire", "acquisition"},
	{"lay off", "laid off", "layoff", "lay-off", "lay-offs"},
	{"spin off", "spun off", "spinoff", "spin-off", "spin-offs"},
	{"take over", "took over", "taken over", "takeover"},
	{"buy", "bought"},
	{"sell", "sold"},
	{"deprecate", "deprecation"},
	{"announce", "announcement"},
	{"invest", "investment"},
	{"go down", "goes down", "went down", "gone down"},
	{"license", "licence", "licensing"},
}

var familyOf = func() map[string][]string {
	m := map[string][]string{}
	for _, f := range families {
		for _, w := range f {
			m[w] = f
		}
	}
	return m
}()

// wordForms returns the folded keyword k and its forms, k first, without
// duplicates.
func wordForms(k string) []string {
	bases := []string{k}
	if f, ok := familyOf[k]; ok {
		bases = f
	} else if f, ok := familyOf[strings.TrimSuffix(k, "s")]; ok { // layoffs
		bases = f
	}
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	add(k)
	for _, b := range bases {
		for _, f := range phraseForms(b) {
			add(f)
		}
	}
	return out
}

// phraseForms inflects each word of a phrase, all combinations, or only the
// last word when that would give too many.
func phraseForms(p string) []string {
	words := strings.Split(p, " ")
	forms := make([][]string, len(words))
	n := 1
	for i, w := range words {
		forms[i] = inflect(w)
		n *= len(forms[i])
	}
	if n > maxForms {
		for i := range words[:len(words)-1] {
			forms[i] = []string{words[i]}
		}
	}
	out := []string{""}
	for i, fs := range forms {
		next := make([]string, 0, len(out)*len(fs))
		for _, o := range out {
			for _, f := range fs {
				if i > 0 {
					next = append(next, o+" "+f)
				} else {
					next = append(next, f)
				}
			}
		}
		out = next
	}
	return out
}

// inflect returns w and its regular inflections, or w alone if it is not a
// plain lower-case word of at least minInflect letters.
func inflect(w string) []string {
	if len(w) < minInflect {
		return []string{w}
	}
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return []string{w}
		}
	}
	last := w[len(w)-1]
	prev := w[len(w)-2]
	out := []string{w}
	switch {
	case last == 'y' && !isVowel(prev):
		stem := w[:len(w)-1]
		out = append(out, stem+"ies", stem+"ied", w+"ing")
	case last == 'e':
		out = append(out, w+"s", w+"d", w[:len(w)-1]+"ing")
		if prev == 'i' { // die, tie: dying
			out = append(out, w[:len(w)-2]+"ying")
		}
	case last == 's' || last == 'x' || last == 'z' || strings.HasSuffix(w, "ch") || strings.HasSuffix(w, "sh"):
		out = append(out, w+"es", w+"ed", w+"ing")
	default:
		out = append(out, w+"s", w+"ed", w+"ing")
		// A short final syllable doubles its consonant: ship, shipped.
		if !isVowel(last) && last != 'w' && last != 'x' && last != 'y' && isVowel(prev) && !isVowel(w[len(w)-3]) {
			d := w + string(last)
			out = append(out, d+"ed", d+"ing")
		}
	}
	return out
}

func isVowel(b byte) bool {
	return b == 'a' || b == 'e' || b == 'i' || b == 'o' || b == 'u'
}
