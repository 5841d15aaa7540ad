package curator

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/logkey"
)

// Store is what the curator needs from the database.
type Store interface {
	// ItemsToClassify returns items not classified under rulesVersion with
	// an id above afterID, in id order.
	ItemsToClassify(ctx context.Context, rulesVersion string, afterID int64, limit int) ([]feeds.Item, error)
	// SetSections records decisions made under rulesVersion.
	SetSections(ctx context.Context, rulesVersion string, cs []feeds.Classification) (changed int, err error)
}

// Curator classifies stored items in the background.
type Curator struct {
	store     Store
	rules     atomic.Pointer[Ruleset]
	logger    zerolog.Logger
	interval  time.Duration
	batchSize int
	wake      chan struct{}
}

// New returns a Curator that classifies with rs every interval (0 disables
// the timer: only Wake and ClassifyPending trigger work).
func New(store Store, rs *Ruleset, interval time.Duration, logger zerolog.Logger) *Curator {
	c := &Curator{
		store:     store,
		logger:    logger.With().Str(logkey.Component, "curator").Logger(),
		interval:  interval,
		batchSize: 500,
		wake:      make(chan struct{}, 1),
	}
	c.rules.Store(rs)
	return c
}

// SetRuleset replaces the rules (on reload). Items classified under other
// rules are re-classified on the next pass.
func (c *Curator) SetRuleset(rs *Ruleset) {
	c.rules.Store(rs)
	c.Wake()
}

// Ruleset returns the rules in use.
func (c *Curator) Ruleset() *Ruleset { return c.rules.Load() }

// Wake asks Run for a pass now.
func (c *Curator) Wake() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Run classifies pending items every interval until ctx is cancelled.
func (c *Curator) Run(ctx context.Context) error {
	var tick <-chan time.Time
	if c.interval > 0 {
		t := time.NewTicker(c.interval)
		defer t.Stop()
		tick = t.C
	}
	var lastErr string
	for {
		n, changed, err := c.ClassifyPending(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			if err.Error() != lastErr {
				c.logger.Error().Err(err).Msg("classification failed")
			}
			lastErr = err.Error()
		default:
			lastErr = ""
			if n > 0 {
				c.logger.Info().Int(logkey.Items, n).Int(logkey.Changed, changed).
					Str(logkey.RulesVer, c.Ruleset().Version()).Msg("items classified")
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick:
		case <-c.wake:
		}
	}
}

// ClassifyPending classifies every item not yet classified under the current
// rules, in batches. It returns how many items it classified and how many of
// them changed section.
func (c *Curator) ClassifyPending(ctx context.Context) (n, changed int, err error) {
	rs := c.rules.Load()
	var after int64
	for {
		items, err := c.store.ItemsToClassify(ctx, rs.Version(), after, c.batchSize)
		if err != nil {
			return n, changed, fmt.Errorf("load items to classify: %w", err)
		}
		if len(items) == 0 {
			return n, changed, nil
		}
		cs := make([]feeds.Classification, len(items))
		for i := range items {
			d := rs.Classify(&items[i])
			cs[i] = feeds.Classification{ItemID: items[i].ID, Section: d.Section, Score: d.Score, Excluded: d.Excluded, Review: d.Review}
			cs[i].CanonicalURL, cs[i].TitleKey = Fingerprint(&items[i])
		}
		ch, err := c.store.SetSections(ctx, rs.Version(), cs)
		if err != nil {
			return n, changed, fmt.Errorf("save sections: %w", err)
		}
		n += len(items)
		changed += ch
		after = items[len(items)-1].ID
	}
}
