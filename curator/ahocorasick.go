package curator

// matcher is an Aho–Corasick automaton over bytes that reports every
// occurrence of every pattern, overlapping ones included. Bytes are mapped to
// equivalence classes (each byte that occurs in some pattern gets its own
// class, every other byte shares class 0), which keeps the dense transition
// table small: states × classes instead of states × 256.
//
// Hand-written because the maintained Go packages report non-overlapping
// matches only, and the curator needs all of them with their positions for
// word-boundary checks and explanations.
type matcher struct {
	classes  [256]uint8
	nclass   int
	delta    []int32   // state*nclass + class -> next state
	out      [][]int32 // patterns ending at a state, output links folded in
	final    []bool    // whether out of a state is non-empty
	patterns []string
}

func newMatcher(patterns []string) *matcher {
	m := &matcher{patterns: patterns}
	next := uint8(1)
	for _, p := range patterns {
		for i := 0; i < len(p); i++ {
			if m.classes[p[i]] == 0 {
				m.classes[p[i]] = next
				next++
			}
		}
	}
	m.nclass = int(next)
	// Build the trie with -1 for missing edges.
	trie := [][]int32{newRow(m.nclass)}
	m.out = [][]int32{nil}
	for pi, p := range patterns {
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := m.classes[p[i]]
			if trie[s][c] < 0 {
				trie = append(trie, newRow(m.nclass))
				m.out = append(m.out, nil)
				trie[s][c] = int32(len(trie) - 1)
			}
			s = trie[s][c]
		}
		m.out[s] = append(m.out[s], int32(pi))
	}
	// Breadth-first: failure links, completed transitions, merged outputs.
	fail := make([]int32, len(trie))
	queue := make([]int32, 0, len(trie))
	for c := 0; c < m.nclass; c++ {
		if t := trie[0][c]; t < 0 {
			trie[0][c] = 0
		} else {
			fail[t] = 0
			queue = append(queue, t)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		m.out[s] = append(m.out[s], m.out[fail[s]]...)
		for c := 0; c < m.nclass; c++ {
			t := trie[s][c]
			if t < 0 {
				trie[s][c] = trie[fail[s]][c]
				continue
			}
			fail[t] = trie[fail[s]][c]
			queue = append(queue, t)
		}
	}
	m.final = make([]bool, len(trie))
	for s := range m.out {
		m.final[s] = len(m.out[s]) > 0
	}
	m.delta = make([]int32, 0, len(trie)*m.nclass)
	for _, row := range trie {
		m.delta = append(m.delta, row...)
	}
	return m
}

func newRow(n int) []int32 {
	r := make([]int32, n)
	for i := range r {
		r[i] = -1
	}
	return r
}

// scan appends to dst every occurrence in text, as the pattern index in the
// high 32 bits and the end offset (just past the match) in the low ones.
func (m *matcher) scan(dst []uint64, text []byte) []uint64 {
	if len(m.patterns) == 0 {
		return dst
	}
	s := int32(0)
	n := int32(m.nclass)
	delta, classes, final := m.delta, &m.classes, m.final
	for i := 0; i < len(text); i++ {
		s = delta[s*n+int32(classes[text[i]])]
		if final[s] {
			for _, p := range m.out[s] {
				dst = append(dst, uint64(p)<<32|uint64(i+1))
			}
		}
	}
	return dst
}
