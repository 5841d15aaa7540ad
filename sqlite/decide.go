package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
)

// Items are classified as they arrive. While the curator runs, it lends the
// store its decider (SetDecider): SaveFetch then classifies a fetch's items
// before it queues them for the writer, in the caller's goroutine (so the
// pollers share the work out over the cores), and the writer stores each
// new item with its decision in the transaction that inserts it. A new item
// is thus never seen unclassified: not by a reader, not after a crash. Its
// decision is the one SetSections would store for it (the near-duplicate
// checks included), made from the item as the store will return it.
//
// What the decider does not decide waits for the curator's next pass, as
// before: items whose text changed (their editor's decisions are read in
// SetSections), and new items saved while no curator ran or when the
// source's name or tags changed in between. The store tells the curator
// about them on ItemsQueued.

// Decider classifies items under one version of the rules: cs[i] is the
// decision for items[i], ItemID left 0. Called with no items, it returns
// the version it decides under now.
type Decider = func(items []feeds.Item) (rulesVersion string, cs []feeds.Classification)

// deciderBox holds a Decider for an atomic.Pointer.
type deciderBox struct{ decide Decider }

// SetDecider makes SaveFetch classify new items with d as it stores them,
// until SetDecider(nil). The curator's loop sets it while it runs.
func (db *DB) SetDecider(d Decider) {
	if d == nil {
		db.writer.decider.Store(nil)
		return
	}
	db.writer.decider.Store(&deciderBox{decide: d})
}

// ItemsQueued is signalled after a commit that left items waiting for
// classification: items whose text changed, new items stored without a
// decision, items queued again by Requeue. It has one reader, the curator's
// loop; a signal stands for any number of commits.
func (db *DB) ItemsQueued() <-chan struct{} { return db.writer.queued }

// signalQueued wakes the ItemsQueued reader.
func (w *writer) signalQueued() {
	select {
	case w.queued <- struct{}{}:
	default:
	}
}

// outdated reports whether decisions made under any of versions were just
// committed while the decider decides under other rules (SetRuleset came in
// between): the curator's pass that the change of rules started may have
// missed them, so it is told again. The check follows the commit, so that
// the pass it starts sees the items.
func (w *writer) outdated(versions []string) bool {
	if len(versions) == 0 {
		return false
	}
	box := w.decider.Load()
	if box == nil {
		return false // the curator's next Run starts with a pass
	}
	now, _ := box.decide(nil)
	return slices.ContainsFunc(versions, func(v string) bool { return v != now })
}

// decided is a fetch's items as SaveFetch's caller classified them, with
// what the classification took from the source, which the writer checks
// against the stored source before it uses them.
type decided struct {
	version    string
	cs         []feeds.Classification // cs[i] for the fetch's items[i]
	sourceName string
	sourceTags string // as stored: stringsToDB
}

// predecide classifies items for SaveFetch, or returns nil when no decider
// is set or the source cannot be read (the items then wait for the
// curator's pass). The items are given the fields the store fills in when
// it reads them back (the source's, as st leaves it), so that the decision
// is the one the curator would make from the stored item.
func (db *DB) predecide(ctx context.Context, sourceID int64, st feeds.FetchState, items []feeds.Item, now time.Time) *decided {
	box := db.writer.decider.Load()
	if box == nil || len(items) == 0 {
		return nil
	}
	var name, tags string
	if err := db.saver.source.QueryRowContext(ctx, sourceID).Scan(&name, &tags); err != nil {
		return nil // an unknown source: the writer answers feeds.ErrNotFound
	}
	srcTags, err := stringsFromDB(tags)
	if err != nil {
		return nil
	}
	in := make([]feeds.Item, len(items))
	for i := range items {
		in[i] = items[i]
		in[i].SourceID, in[i].SourceName, in[i].SourceTags = sourceID, name, srcTags
		in[i].SourceURL, in[i].SourceTitle, in[i].SourceLink = st.URL, st.FeedTitle, st.FeedLink
		// Times as stored, to the millisecond.
		in[i].FetchedAt = timeFromDB(timeToDB(now))
		in[i].Published, in[i].Updated = timeFromDB(timeToDB(in[i].Published)), timeFromDB(timeToDB(in[i].Updated))
		in[i].Categories = slices.Clip(in[i].Categories)
	}
	version, cs := box.decide(in)
	if version == "" || len(cs) != len(items) {
		return nil
	}
	return &decided{version: version, cs: cs, sourceName: name, sourceTags: tags}
}

// usable reports whether d was made with the source as the transaction
// holds it now (SyncSources may have renamed or retagged it meanwhile).
func (s *saver) usable(ctx context.Context, sourceID int64, d *decided) (bool, error) {
	if d == nil {
		return false, nil
	}
	var name, tags string
	if err := s.sourceNow.QueryRowContext(ctx, sourceID).Scan(&name, &tags); err != nil {
		return false, fmt.Errorf("read source: %w", err)
	}
	return name == d.sourceName && tags == d.sourceTags, nil
}

// insertDecided is the insert of a new item with its decision: the columns
// of the plain insert, then section, score, excluded, rules_version,
// canonical_url, title_key, rules_section, rules_excluded and needs_review.
const insertDecided = `INSERT INTO items (source_id, key, guid, link, title,
	author, categories, lang, published, updated, fetched_at, sort_time, hash,
	section, score, excluded, rules_version, canonical_url, title_key,
	rules_section, rules_excluded, needs_review)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// updateDecision stores a decision over an item's current one; see
// decisionWriter.apply.
const updateDecision = `UPDATE items SET section = ?, score = ?, excluded = ?,
	rules_version = ?, canonical_url = ?, title_key = ?, dup_of = ?,
	rules_section = ?, rules_excluded = ?, needs_review = ? WHERE id = ?`

// confirmDecision marks an item's stored decision as made by other rules
// too, when they decide it alike.
const confirmDecision = `UPDATE items SET rules_version = ? WHERE id = ?`

// decisionWriter holds the statements that store decisions, bound to one
// write transaction.
type decisionWriter struct {
	upd, confirm, demote *sql.Stmt
	dups                 *dupFinder
}

// current is what storing a decision needs of an item's stored state: the
// editor's decisions, and the stored decision (see sectionsQuery).
type current struct {
	section, override string
	excluded, hidden  bool
	sourceID, dupOf   int64

	score                      float64
	canonicalURL, titleKey     string
	rulesSection               string
	rulesExcluded, needsReview bool
}

// apply stores decision c, made under rulesVersion, for an item in state
// old, and reports how many items left or entered the published feed or
// changed section. With inserted, the item was just inserted with c as its
// decision and no duplicate (see saveFetch), and is written again only if
// it turns out to be a near-duplicate.
func (w *decisionWriter) apply(ctx context.Context, rulesVersion string, c feeds.Classification, old current, inserted bool) (int, error) {
	changed := 0
	rulesSection, rulesExcluded := c.Section, c.Excluded
	// An editor's decision outlives every re-classification.
	if old.override != "" {
		c.Section = old.override
	}
	// A near-duplicate of another source's item is published once, under
	// the best copy of the story (see candidate.better).
	dupOf, err := w.dups.primary(ctx, c.ItemID, old.sourceID, &c)
	if err != nil {
		return 0, fmt.Errorf("find duplicates of item %d: %w", c.ItemID, err)
	}
	if dupOf != 0 {
		better, err := w.dups.prefer(ctx, c.ItemID, dupOf)
		if err != nil {
			return 0, fmt.Errorf("compare item %d with its primary: %w", c.ItemID, err)
		}
		if better {
			if _, err := w.demote.ExecContext(ctx, c.ItemID, dupOf, dupOf, c.ItemID); err != nil {
				return 0, fmt.Errorf("fold item %d into item %d: %w", dupOf, c.ItemID, err)
			}
			dupOf = 0
			changed++ // the old primary leaves the published feed
		}
	}
	if dupOf != 0 && old.dupOf == 0 {
		if _, err := w.demote.ExecContext(ctx, dupOf, c.ItemID, c.ItemID, dupOf); err != nil {
			return 0, fmt.Errorf("fold item %d into item %d: %w", c.ItemID, dupOf, err)
		}
	}
	if inserted && dupOf == 0 {
		return changed, nil // stored as inserted
	}
	c.Excluded = c.Excluded || old.hidden || dupOf != 0
	// What the editor decided, or what is not published, needs no review.
	review := c.Review && old.override == "" && !c.Excluded
	if !inserted && c.Section == old.section && c.Excluded == old.excluded && dupOf == old.dupOf &&
		c.Score == old.score && c.CanonicalURL == old.canonicalURL && c.TitleKey == old.titleKey &&
		rulesSection == old.rulesSection && rulesExcluded == old.rulesExcluded && review == old.needsReview {
		// Decided alike, as most items are when the rules change: only
		// the version is written, and only its index changes.
		if _, err := w.confirm.ExecContext(ctx, rulesVersion, c.ItemID); err != nil {
			return 0, fmt.Errorf("update item %d: %w", c.ItemID, err)
		}
		return changed, nil
	}
	if _, err := w.upd.ExecContext(ctx, c.Section, c.Score, c.Excluded, rulesVersion,
		c.CanonicalURL, c.TitleKey, dupOf, rulesSection, rulesExcluded, review, c.ItemID); err != nil {
		return 0, fmt.Errorf("update item %d: %w", c.ItemID, err)
	}
	if old.section != c.Section || old.excluded != c.Excluded || old.dupOf != dupOf {
		changed++
	}
	return changed, nil
}
