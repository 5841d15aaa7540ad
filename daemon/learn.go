package daemon

import (
	"context"
	"time"

	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/internal/logkey"
	"github.com/feedcurator/feedcurator/sqlite"
)

// learnEvery is how often the daemon looks for new labelled examples (an
// editor's moves and hides, imported issues) to learn from.
const learnEvery = 30 * time.Second

// relearnWindow is how far back items are decided again when the learned
// part changes: the weeks an editor still works on. Older decisions stand
// until the rules change.
const relearnWindow = 14 * 24 * time.Hour

// Rules compiles the configuration's rules and blends in the part learned
// from the store's labelled examples, as curator.learned_weight says. It
// returns the rules alone too, and the labels version the model was trained
// under. With no store (db nil), it is the rules alone.
func Rules(ctx context.Context, cfg *config.Config, db *sqlite.DB) (blended, rules *curator.Ruleset, labels string, err error) {
	rules, err = cfg.Ruleset()
	if err != nil {
		return nil, nil, "", err
	}
	if db == nil || cfg.Curator.LearnedWeight == 0 {
		return rules, rules, "", nil
	}
	m, labels, err := train(ctx, db, rules, cfg)
	if err != nil {
		return nil, nil, "", err
	}
	blended, err = rules.WithModel(m, cfg.Curator.LearnedWeight)
	return blended, rules, labels, err
}

// train fits the learned part on the store's labelled examples (hides are
// no section's examples) for the sections of rules.
func train(ctx context.Context, db *sqlite.DB, rules *curator.Ruleset, cfg *config.Config) (*curator.Model, string, error) {
	labels, err := db.LabelsVersion(ctx)
	if err != nil {
		return nil, "", err
	}
	loc, _ := cfg.Digest.Location() // checked by Validate
	examples, err := db.Examples(ctx, loc)
	if err != nil {
		return nil, "", err
	}
	var sections []string
	for _, s := range rules.Sections() {
		sections = append(sections, s.ID)
	}
	ls := make([]curator.Labelled, 0, len(examples))
	for _, e := range examples {
		if e.Hidden() {
			continue
		}
		ls = append(ls, curator.Labelled{Title: e.Title, Summary: e.Summary, Section: e.Section, Source: e.Source, Link: e.Link})
	}
	return curator.Train(sections, ls, curator.LearnOptions{}), labels, nil
}

// learn retrains the learned part whenever the labelled examples change,
// and has the recent items decided again by it.
func (m *Main) learn(ctx context.Context) error {
	t := time.NewTicker(learnEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := m.relearn(ctx); err != nil && ctx.Err() == nil {
			m.Logger.Error().Err(err).Msg("learning failed")
		}
	}
}

// relearn retrains if the labels changed since the model in force was
// trained, puts the new model in force and requeues the recent items.
func (m *Main) relearn(ctx context.Context) error {
	m.learnMu.Lock()
	defer m.learnMu.Unlock()
	cfg := m.config()
	if cfg.Curator.LearnedWeight == 0 {
		return nil
	}
	labels, err := m.DB.LabelsVersion(ctx)
	if err != nil || labels == m.labels {
		return err
	}
	model, labels, err := train(ctx, m.DB, m.rules, cfg)
	if err != nil {
		return err
	}
	rs, err := m.rules.WithModel(model, cfg.Curator.LearnedWeight)
	if err != nil {
		return err
	}
	m.labels = labels
	m.Curator.SetRuleset(rs)
	n, err := m.DB.Requeue(ctx, time.Now().Add(-relearnWindow))
	if err != nil {
		return err
	}
	m.Curator.Wake()
	m.Logger.Info().Int(logkey.Count, model.Examples()).Int(logkey.Items, n).Str(logkey.RulesVer, rs.Version()).Msg("learned from the labelled examples")
	return nil
}
