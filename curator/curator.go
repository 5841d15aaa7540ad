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

// LiveStore is a Store that classifies new items as it stores them, with
// the decider Run lends it (Curator.Decide), and signals ItemsQueued after
// storing items that still need a pass of the curator (edited items, items
// queued again, new items stored without a decision). Run uses it when the
// store has it: the last item of a poll is then classified when it is
// stored, and Run needs no timer to notice the others.
type LiveStore interface {
	Store
	// SetDecider makes the store classify the new items it stores with
	// decide (Curator.Decide), until SetDecider(nil).
	SetDecider(decide func(items []feeds.Item) (rulesVersion string, cs []feeds.Classification))
	// ItemsQueued is signalled after items were queued for classification.
	ItemsQueued() <-chan struct{}
}

// New returns a Curator that classifies with rs every interval (0 disables
// the timer: only Wake, ClassifyPending and, with a LiveStore, the store
// trigger work).
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

// Decide classifies items under the rules in use and returns their
// version with the decisions, cs[i] for items[i] (ItemID as in the item):
// what ClassifyPending stores for them. With no items it returns the
// version alone. It is safe for concurrent use.
func (c *Curator) Decide(items []feeds.Item) (rulesVersion string, cs []feeds.Classification) {
	rs := c.rules.Load()
	cs = make([]feeds.Classification, len(items))
	for i := range items {
		cs[i] = classification(rs, &items[i])
	}
	return rs.Version(), cs
}

// classification is the decision stored for it under rs.
func classification(rs *Ruleset, it *feeds.Item) feeds.Classification {
	d := rs.Classify(it)
	c := feeds.Classification{ItemID: it.ID, Section: d.Section, Score: d.Score, Excluded: d.Excluded, Review: d.Review}
	c.CanonicalURL, c.TitleKey = Fingerprint(it)
	return c
}

// Run classifies pending items until ctx is cancelled: every interval, on
// Wake, and with a LiveStore, as items arrive (see LiveStore).
func (c *Curator) Run(ctx context.Context) error {
	var tick <-chan time.Time
	if c.interval > 0 {
		t := time.NewTicker(c.interval)
		defer t.Stop()
		tick = t.C
	}
	var queued <-chan struct{}
	if ls, ok := c.store.(LiveStore); ok {
		ls.SetDecider(c.Decide)
		defer ls.SetDecider(nil)
		queued = ls.ItemsQueued()
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
		case <-queued:
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
			cs[i] = classification(rs, &items[i])
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
