package curator

import (
	"errors"
	"math"
	"strconv"

	"github.com/feedcurator/feedcurator/feeds"
)

// ErrBadLearnedWeight is returned by WithModel for a weight that is not a
// finite number of at least 0.
var ErrBadLearnedWeight = errors.New("learned weight must be a finite number of at least 0")

// learnedPart is the model a Ruleset blends into its scores.
type learnedPart struct {
	model  *Model
	weight float64
	at     []int // by model section: the ruleset's section index, -1 for none
}

// WithModel returns a ruleset that decides as rs does, plus the learned
// part: for each section, weight times the model's log-odds is added to the
// rules' score (after the source's bias) before the best section is chosen.
// The rules stay in charge: the threshold, the source defaults, the
// fallback and exclusions are theirs, a rule marked to win outright does,
// and with weight 0 or a model trained on nothing the ruleset is rs itself.
// The version of the result is rs's with the weight: a retrained model does
// not by itself call for re-classifying the whole store.
func (rs *Ruleset) WithModel(m *Model, weight float64) (*Ruleset, error) {
	if !(weight >= 0) || math.IsInf(weight, 1) {
		return nil, ErrBadLearnedWeight
	}
	if m == nil || weight == 0 || m.Examples() == 0 {
		return rs, nil
	}
	lp := &learnedPart{model: m, weight: weight, at: make([]int, len(m.Sections()))}
	for i, s := range m.Sections() {
		lp.at[i] = -1
		if si, ok := rs.index[s]; ok {
			lp.at[i] = si
		}
	}
	out := *rs // the compiled rules are immutable: shared
	out.learned = lp
	out.version = rs.version + "+learned:" + strconv.FormatFloat(weight, 'g', -1, 64)
	return &out, nil
}

// Model returns the learned model the ruleset blends in and its weight;
// nil and 0 for the rules alone.
func (rs *Ruleset) Model() (*Model, float64) {
	if rs.learned == nil {
		return nil, 0
	}
	return rs.learned.model, rs.learned.weight
}

// addLearned adds the learned part of it to scores, into sc.learned by
// model section.
func (rs *Ruleset) addLearned(it *feeds.Item, sc *scratch, scores []float64) {
	lp := rs.learned
	k := len(lp.at)
	if cap(sc.learned) < k {
		sc.learned = make([]float64, k)
	}
	sc.learned = sc.learned[:k]
	clear(sc.learned)
	lp.model.Score(it, sc.learned)
	for i, v := range sc.learned {
		if si := lp.at[i]; si >= 0 {
			scores[si] += lp.weight * v
		}
	}
}
