package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
)

// The editor's issues (migration 010_issues.sql): each week's issue is a row of
// issues with its candidates in issue_entries. Every change is one write
// transaction that touches only what it changes, so two editors (the desk
// and a terminal) never undo each other's decisions; and every change
// bumps the version, since a due draft is what the digest shows.

// ErrNotPublished is returned by FrozenIssue for an issue never published.
var ErrNotPublished = errors.New("the issue is not published")

// SyncIssue creates the issue of week w from candidates if it has none:
// a draft, auto-published, its candidates accepted in the order given
// (their Position within each section is numbered from 1 in that order).
// If the week has an issue already, it only adds the candidates whose
// item is not in it yet, as "later" entries at the end of their section:
// the entries the editor has seen are never reordered or changed. It
// returns how many entries it added. Candidates are stored items (ItemID,
// Section, and the Title and Link to keep); their duplicate keys are the
// items' own (canonical_url, title_key). A candidate whose item no longer
// exists is skipped.
func (db *DB) SyncIssue(ctx context.Context, w feeds.Week, candidates []feeds.IssueEntry, now time.Time) (added int, err error) {
	added, err = db.syncIssue(ctx, w, candidates, now)
	if err != nil {
		return 0, fmt.Errorf("sync issue %s: %w", w, db.writeFailed(err))
	}
	return added, nil
}

func (db *DB) syncIssue(ctx context.Context, w feeds.Week, candidates []feeds.IssueEntry, now time.Time) (int, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO issues (week, created_at, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (week) DO NOTHING`, w.String(), now.UnixMilli(), now.UnixMilli())
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	created := n == 1
	state := feeds.EntryAccepted
	if !created {
		state = feeds.EntryLater
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO issue_entries (week, item_id, title, link, canonical_url, title_key,
		section, rules_section, position, state, added_at, updated_at)
		SELECT ?1, ?2, ?3, ?4, (SELECT canonical_url FROM items WHERE id = ?2), (SELECT title_key FROM items WHERE id = ?2), ?7, ?7,
			(SELECT coalesce(max(position), 0) + 1 FROM issue_entries WHERE week = ?1 AND section = ?7), ?8, ?9, ?9
		WHERE EXISTS (SELECT 1 FROM items WHERE id = ?2)
		ON CONFLICT (week, item_id) WHERE item_id IS NOT NULL DO NOTHING`)
	if err != nil {
		return 0, err
	}
	defer ins.Close()
	added := 0
	for _, c := range candidates {
		if c.ItemID == 0 || c.Section == "" {
			continue
		}
		res, err := ins.ExecContext(ctx, w.String(), c.ItemID, c.Title, c.Link, nil, nil,
			c.Section, string(state), now.UnixMilli())
		if err != nil {
			return 0, fmt.Errorf("add item %d: %w", c.ItemID, err)
		}
		n, _ := res.RowsAffected()
		added += int(n)
	}
	if !created && added == 0 {
		return 0, nil // nothing changed: no commit that would move the version
	}
	if _, err := tx.ExecContext(ctx, `UPDATE issues SET updated_at = ? WHERE week = ?`, now.UnixMilli(), w.String()); err != nil {
		return 0, err
	}
	if err := bumpVersion(ctx, tx); err != nil {
		return 0, err
	}
	return added, db.commit(tx)
}

// HasIssue reports whether week w has an edited issue.
func (db *DB) HasIssue(ctx context.Context, w feeds.Week) (bool, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM issues WHERE week = ?`, w.String()).Scan(&n); err != nil {
		return false, fmt.Errorf("issue %s: %w", w, err)
	}
	return n > 0, nil
}

// EditedIssue returns the issue of week w with its entries, ordered by
// section and position, each with its stored item (when it still exists,
// AlsoIn filled with the other sources' copies of its story) and its
// related items' titles and links; feeds.ErrNotFound if the week
// has none. It reads in one transaction, so the entries agree with the
// issue.
func (db *DB) EditedIssue(ctx context.Context, w feeds.Week) (*feeds.EditedIssue, error) {
	ed, err := db.editedIssue(ctx, w)
	if err != nil {
		return nil, fmt.Errorf("issue %s: %w", w, err)
	}
	return ed, nil
}

func (db *DB) editedIssue(ctx context.Context, w feeds.Week) (*feeds.EditedIssue, error) {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	ed := &feeds.EditedIssue{Week: w}
	var state string
	var created, updated int64
	var published sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT state, auto_publish, note, created_at, updated_at, published_at, revision
		FROM issues WHERE week = ?`, w.String()).
		Scan(&state, &ed.AutoPublish, &ed.Note, &created, &updated, &published, &ed.Revision)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, feeds.ErrNotFound
	} else if err != nil {
		return nil, err
	}
	ed.State = feeds.IssueState(state)
	ed.CreatedAt, ed.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	ed.PublishedAt = timeFromDB(published)

	rows, err := tx.QueryContext(ctx, `SELECT e.id, coalesce(e.item_id, 0), e.title, e.description, e.link,
		e.canonical_url, e.title_key, e.section, e.rules_section, e.position, e.state, e.summary, e.note, e.related,
		e.added_at, e.updated_at, coalesce(i.dup_of, 0)
		FROM issue_entries e LEFT JOIN items i ON i.id = e.item_id
		WHERE e.week = ? ORDER BY e.section, e.position, e.id`, w.String())
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var e feeds.IssueEntry
		var st, related string
		var summary sql.NullString
		var added, upd int64
		if err := rows.Scan(&e.ID, &e.ItemID, &e.Title, &e.Description, &e.Link, &e.CanonicalURL, &e.TitleKey,
			&e.Section, &e.RulesSection, &e.Position, &st, &summary, &e.Note, &related, &added, &upd, &e.DuplicateOf); err != nil {
			rows.Close()
			return nil, err
		}
		e.State = feeds.EntryState(st)
		if summary.Valid {
			s := summary.String
			e.Summary = &s
		}
		if err := json.Unmarshal([]byte(related), &e.Related); err != nil {
			rows.Close()
			return nil, fmt.Errorf("related links of entry %d: %w", e.ID, err)
		}
		e.AddedAt, e.UpdatedAt = time.UnixMilli(added).UTC(), time.UnixMilli(upd).UTC()
		if e.ItemID != 0 {
			ids = append(ids, e.ItemID)
		}
		for _, r := range e.Related {
			if r.ItemID != 0 {
				ids = append(ids, r.ItemID)
			}
		}
		ed.Entries = append(ed.Entries, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return ed, nil
	}
	list, _ := json.Marshal(ids) // an []int64 always marshals
	rows, err = tx.QueryContext(ctx, itemQuery+`WHERE i.id IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return nil, err
	}
	items, err := scanItems(rows)
	if err != nil {
		return nil, err
	}
	// The other sources' copies of each story, for the desk to group.
	if err := db.fillAlsoIn(ctx, items); err != nil {
		return nil, err
	}
	byID := make(map[int64]*feeds.Item, len(items))
	for i := range items {
		byID[items[i].ID] = &items[i]
	}
	for i := range ed.Entries {
		e := &ed.Entries[i]
		if it, ok := byID[e.ItemID]; ok {
			c := *it
			e.Item = &c
		}
		for j := range e.Related {
			r := &e.Related[j]
			if it, ok := byID[r.ItemID]; ok && r.ItemID != 0 {
				if r.Title == "" {
					r.Title = it.Title
				}
				if r.URL == "" {
					r.URL = it.Link
				}
			}
		}
	}
	return ed, nil
}

// editEntry runs change on entry id of week w's issue in one write
// transaction, then marks the entry and the issue updated and bumps the
// version. An entry of another week is feeds.ErrNotFound.
func (db *DB) editEntry(ctx context.Context, what string, w feeds.Week, id int64, now time.Time,
	change func(tx *sql.Tx, section string, position int) error) error {
	err := func() error {
		tx, err := db.write.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		var section string
		var position int
		err = tx.QueryRowContext(ctx, `SELECT section, position FROM issue_entries WHERE id = ? AND week = ?`, id, w.String()).
			Scan(&section, &position)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("no entry %d in the issue: %w", id, feeds.ErrNotFound)
		} else if err != nil {
			return err
		}
		if err := change(tx, section, position); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE issue_entries SET updated_at = ? WHERE id = ?`, now.UnixMilli(), id); err != nil {
			return err
		}
		if err := touchIssue(ctx, tx, w, now); err != nil {
			return err
		}
		return db.commit(tx)
	}()
	if err != nil {
		return fmt.Errorf("%s entry %d of issue %s: %w", what, id, w, db.writeFailed(err))
	}
	return nil
}

// touchIssue marks the issue of w updated, bumps the version and commits.
func touchIssue(ctx context.Context, tx *sql.Tx, w feeds.Week, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE issues SET updated_at = ? WHERE week = ?`, now.UnixMilli(), w.String()); err != nil {
		return err
	}
	return bumpVersion(ctx, tx)
}

// SetEntryState records the editor's decision about entry id: accepted,
// rejected or later.
func (db *DB) SetEntryState(ctx context.Context, w feeds.Week, id int64, state feeds.EntryState, now time.Time) error {
	if !feeds.ValidEntryState(state) {
		return fmt.Errorf("entry %d of issue %s: unknown state %q", id, w, state)
	}
	return db.editEntry(ctx, "set state of", w, id, now, func(tx *sql.Tx, _ string, _ int) error {
		if _, err := tx.ExecContext(ctx, `UPDATE issue_entries SET state = ? WHERE id = ?`, string(state), id); err != nil {
			return err
		}
		return rejectedLabel(ctx, tx, id, state == feeds.EntryRejected, now)
	})
}

// rejectedLabel keeps the label of a rejection in step with entry id's
// decision: a rejected stored item is a "not for the digest" example
// (OriginRejected, in the section the issue had it in); any other decision
// withdraws it. An added URL is no stored item and labels nothing.
func rejectedLabel(ctx context.Context, tx *sql.Tx, id int64, rejected bool, now time.Time) error {
	if !rejected {
		_, err := tx.ExecContext(ctx, `DELETE FROM labels WHERE key = 'rejected:' ||
			(SELECT item_id FROM issue_entries WHERE id = ? AND item_id IS NOT NULL)`, id)
		return err
	}
	return labelEntries(ctx, tx, OriginRejected, `e.id = ?3`, now, id)
}

// labelEntries labels the stored items of the issue entries that where
// selects (a condition on issue_entries e, items i and sources s, with
// args) as origin examples in the entry's section and issue, keyed
// origin:itemID, with the item's text as it is now.
func labelEntries(ctx context.Context, tx *sql.Tx, origin, where string, now time.Time, args ...any) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO labels (origin, key, item_id, section, issue, at, title, summary,
			link, source, canonical_url, title_key, labelled_at)
		SELECT ?1, ?1 || ':' || i.id, i.id, e.section, e.week, i.sort_time, i.title,
			coalesce(t.summary, ''), i.link, s.name, i.canonical_url, i.title_key, ?2
		FROM issue_entries e JOIN items i ON i.id = e.item_id JOIN sources s ON s.id = i.source_id
			LEFT JOIN item_text t ON t.id = i.id
		WHERE `+where+`
		ON CONFLICT (key) DO UPDATE SET section = excluded.section, issue = excluded.issue,
			labelled_at = excluded.labelled_at`, append([]any{origin, now.UnixMilli()}, args...)...)
	return err
}

// publishedLabels makes the stored items that w's issue publishes labelled
// examples (OriginPublished) in the section it publishes them in, replacing
// the labels of its earlier publication. An item the editor moved keeps its
// move's label, which says the same.
func publishedLabels(ctx context.Context, tx *sql.Tx, w feeds.Week, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM labels WHERE origin = '`+OriginPublished+`' AND issue = ?`, w.String()); err != nil {
		return err
	}
	return labelEntries(ctx, tx, OriginPublished, `e.week = ?3 AND e.state = 'accepted' AND s.archive = 0
		AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.key = 'item:' || i.id AND l.origin = '`+OriginMoved+`')`,
		now, w.String())
}

// MoveEntry moves entry id to section at position (1 for the first; 0 or
// beyond the end for the end), renumbering both sections' entries so that
// positions run 1, 2, 3... A move keeps the entry's decision.
func (db *DB) MoveEntry(ctx context.Context, w feeds.Week, id int64, section string, position int, now time.Time) error {
	if section == "" {
		return fmt.Errorf("move entry %d of issue %s: empty section", id, w)
	}
	return db.editEntry(ctx, "move", w, id, now, func(tx *sql.Tx, from string, _ int) error {
		ids, err := sectionEntries(ctx, tx, w, section, id)
		if err != nil {
			return err
		}
		if position <= 0 || position > len(ids) {
			position = len(ids) + 1
		}
		ids = append(ids[:position-1], append([]int64{id}, ids[position-1:]...)...)
		if _, err := tx.ExecContext(ctx, `UPDATE issue_entries SET section = ? WHERE id = ?`, section, id); err != nil {
			return err
		}
		if err := renumber(ctx, tx, ids); err != nil {
			return err
		}
		if from != section {
			// The move is the editor's decision about the item too, as
			// feedcurator item move makes it: the feeds show it, the
			// re-classifications keep it, and the curator learns from it
			// (the labels trigger records it).
			if _, err := tx.ExecContext(ctx, `UPDATE items SET override_section = ?1, section = ?1
				WHERE id = (SELECT item_id FROM issue_entries WHERE id = ?2 AND item_id IS NOT NULL)`, section, id); err != nil {
				return err
			}
			rest, err := sectionEntries(ctx, tx, w, from, id)
			if err != nil {
				return err
			}
			return renumber(ctx, tx, rest)
		}
		return nil
	})
}

// OrderSection puts the entries ids of section first, in that order, and
// the section's other entries after them in the order they had.
func (db *DB) OrderSection(ctx context.Context, w feeds.Week, section string, ids []int64, now time.Time) error {
	err := func() error {
		tx, err := db.write.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		cur, err := sectionEntries(ctx, tx, w, section, 0)
		if err != nil {
			return err
		}
		in := make(map[int64]bool, len(cur))
		for _, id := range cur {
			in[id] = true
		}
		first := make(map[int64]bool, len(ids))
		order := make([]int64, 0, len(cur))
		for _, id := range ids {
			if !in[id] {
				return fmt.Errorf("entry %d is not in section %s: %w", id, section, feeds.ErrNotFound)
			}
			if !first[id] {
				first[id] = true
				order = append(order, id)
			}
		}
		for _, id := range cur {
			if !first[id] {
				order = append(order, id)
			}
		}
		if err := renumber(ctx, tx, order); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE issue_entries SET updated_at = ? WHERE id IN (SELECT value FROM json_each(?))`,
			now.UnixMilli(), jsonIDs(ids)); err != nil {
			return err
		}
		if err := touchIssue(ctx, tx, w, now); err != nil {
			return err
		}
		return db.commit(tx)
	}()
	if err != nil {
		return fmt.Errorf("order section %s of issue %s: %w", section, w, db.writeFailed(err))
	}
	return nil
}

func jsonIDs(ids []int64) string {
	if len(ids) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(ids) // an []int64 always marshals
	return string(b)
}

// sectionEntries returns the IDs of the entries of section in w's issue
// by position, leaving out skip.
func sectionEntries(ctx context.Context, tx *sql.Tx, w feeds.Week, section string, skip int64) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM issue_entries WHERE week = ? AND section = ? AND id <> ?
		ORDER BY position, id`, w.String(), section, skip)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// renumber gives the entries ids positions 1, 2, 3... in that order.
func renumber(ctx context.Context, tx *sql.Tx, ids []int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE issue_entries SET position = o.key + 1
		FROM (SELECT key, value FROM json_each(?)) AS o WHERE issue_entries.id = o.value`, jsonIDs(ids))
	return err
}

// SetEntrySummary sets the 要点 of entry id; nil gives it back to the
// source's summary.
func (db *DB) SetEntrySummary(ctx context.Context, w feeds.Week, id int64, summary *string, now time.Time) error {
	var v sql.NullString
	if summary != nil {
		v = sql.NullString{String: *summary, Valid: true}
	}
	return db.editEntry(ctx, "set summary of", w, id, now, func(tx *sql.Tx, _ string, _ int) error {
		_, err := tx.ExecContext(ctx, `UPDATE issue_entries SET summary = ? WHERE id = ?`, v, id)
		return err
	})
}

// SetEntryNote sets the editor's note on entry id ("" for none).
func (db *DB) SetEntryNote(ctx context.Context, w feeds.Week, id int64, note string, now time.Time) error {
	return db.editEntry(ctx, "set note of", w, id, now, func(tx *sql.Tx, _ string, _ int) error {
		_, err := tx.ExecContext(ctx, `UPDATE issue_entries SET note = ? WHERE id = ?`, note, id)
		return err
	})
}

// SetEntryRelated replaces the 推荐阅读 links of entry id. A link to a
// stored item that does not exist is feeds.ErrNotFound.
func (db *DB) SetEntryRelated(ctx context.Context, w feeds.Week, id int64, related []feeds.RelatedLink, now time.Time) error {
	for _, r := range related {
		if (r.ItemID == 0) == (r.URL == "") {
			return fmt.Errorf("related link of entry %d: give an item or a URL", id)
		}
	}
	return db.editEntry(ctx, "set related links of", w, id, now, func(tx *sql.Tx, _ string, _ int) error {
		for _, r := range related {
			if r.ItemID == 0 {
				continue
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM items WHERE id = ?`, r.ItemID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("related item %d: %w", r.ItemID, feeds.ErrNotFound)
			}
		}
		b, err := json.Marshal(related)
		if err != nil {
			return err
		}
		if len(related) == 0 {
			b = []byte("[]")
		}
		_, err = tx.ExecContext(ctx, `UPDATE issue_entries SET related = ? WHERE id = ?`, string(b), id)
		return err
	})
}

// editIssue runs change on the issue row of w in one write transaction,
// then marks it updated, bumps the version and commits.
func (db *DB) editIssue(ctx context.Context, what string, w feeds.Week, now time.Time, change func(tx *sql.Tx) error) error {
	err := func() error {
		tx, err := db.write.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM issues WHERE week = ?`, w.String()).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return feeds.ErrNotFound
		}
		if err := change(tx); err != nil {
			return err
		}
		if err := touchIssue(ctx, tx, w, now); err != nil {
			return err
		}
		return db.commit(tx)
	}()
	if err != nil {
		return fmt.Errorf("%s issue %s: %w", what, w, db.writeFailed(err))
	}
	return nil
}

// SetIssueNote sets the editor's note of w's issue (编者按; "" for none).
func (db *DB) SetIssueNote(ctx context.Context, w feeds.Week, note string, now time.Time) error {
	return db.editIssue(ctx, "set note of", w, now, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE issues SET note = ? WHERE week = ?`, note, w.String())
		return err
	})
}

// SetAutoPublish turns the scheduled publication of w's draft on or off.
func (db *DB) SetAutoPublish(ctx context.Context, w feeds.Week, on bool, now time.Time) error {
	return db.editIssue(ctx, "set auto-publish of", w, now, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE issues SET auto_publish = ? WHERE week = ?`, on, w.String())
		return err
	})
}

// AddIssueEntry adds an article to w's issue, accepted, at the end of
// e.Section, and returns its entry ID. An entry of a stored item already
// in the issue is an error naming the entry.
func (db *DB) AddIssueEntry(ctx context.Context, w feeds.Week, e feeds.IssueEntry, now time.Time) (int64, error) {
	if e.Section == "" {
		return 0, fmt.Errorf("add to issue %s: empty section", w)
	}
	var id int64
	err := db.editIssue(ctx, "add to", w, now, func(tx *sql.Tx) error {
		var item sql.NullInt64
		if e.ItemID != 0 {
			item = sql.NullInt64{Int64: e.ItemID, Valid: true}
			var have int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM issue_entries WHERE week = ? AND item_id = ?`, w.String(), e.ItemID).Scan(&have)
			if err == nil {
				return fmt.Errorf("item %d is entry %d of the issue already", e.ItemID, have)
			} else if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		state := e.State
		if state == "" {
			state = feeds.EntryAccepted
		}
		var summary sql.NullString
		if e.Summary != nil {
			summary = sql.NullString{String: *e.Summary, Valid: true}
		}
		related, _ := json.Marshal(e.Related) // plain fields always marshal
		if len(e.Related) == 0 {
			related = []byte("[]")
		}
		return tx.QueryRowContext(ctx, `INSERT INTO issue_entries (week, item_id, title, description, link,
			canonical_url, title_key, section, rules_section, position, state, summary, note, related, added_at, updated_at)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,
				(SELECT coalesce(max(position), 0) + 1 FROM issue_entries WHERE week = ?1 AND section = ?8),
				?10, ?11, ?12, ?13, ?14, ?14) RETURNING id`,
			w.String(), item, e.Title, e.Description, e.Link, e.CanonicalURL, e.TitleKey, e.Section, e.RulesSection,
			string(state), summary, e.Note, string(related), now.UnixMilli()).Scan(&id)
	})
	return id, err
}

// PublishIssue freezes w's issue as is (the issue as rendered, its
// Markdown included): the issue becomes published, its revision goes up
// by one, and FrozenIssue returns is from now on. It returns the new
// revision. The first publication's moment is kept as PublishedAt.
func (db *DB) PublishIssue(ctx context.Context, w feeds.Week, is *feeds.Issue, now time.Time) (int, error) {
	frozen := *is
	frozen.Sections = make([]feeds.IssueSection, len(is.Sections))
	for i, s := range is.Sections {
		frozen.Sections[i] = feeds.IssueSection{Section: s.Section, Items: make([]feeds.IssueItem, len(s.Items))}
		for j, it := range s.Items {
			it.Item = feeds.Item{} // the issue is frozen, not its items
			frozen.Sections[i].Items[j] = it
		}
	}
	var rev int
	err := db.editIssue(ctx, "publish", w, now, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT revision + 1 FROM issues WHERE week = ?`, w.String()).Scan(&rev); err != nil {
			return err
		}
		frozen.Revision = rev
		b, err := json.Marshal(&frozen)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE issues SET state = 'published', revision = ?, frozen = ?,
			published_at = coalesce(published_at, ?) WHERE week = ?`, rev, string(b), now.UnixMilli(), w.String())
		if err != nil {
			return err
		}
		return publishedLabels(ctx, tx, w, now)
	})
	return rev, err
}

// FrozenIssue returns w's issue as last published; an error wrapping
// feeds.ErrNotFound if the week has none, and also ErrNotPublished for a
// draft never published.
func (db *DB) FrozenIssue(ctx context.Context, w feeds.Week) (*feeds.Issue, error) {
	var frozen string
	err := db.read.QueryRowContext(ctx, `SELECT frozen FROM issues WHERE week = ?`, w.String()).Scan(&frozen)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("issue %s: %w", w, feeds.ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("issue %s: %w", w, err)
	}
	if frozen == "" {
		return nil, fmt.Errorf("issue %s: %w (%w)", w, ErrNotPublished, feeds.ErrNotFound)
	}
	var is feeds.Issue
	if err := json.Unmarshal([]byte(frozen), &is); err != nil {
		return nil, fmt.Errorf("issue %s: decode frozen issue: %w", w, err)
	}
	return &is, nil
}

// PublishedWeeks returns the weeks of up to limit published issues, the
// newest week first.
func (db *DB) PublishedWeeks(ctx context.Context, limit int) ([]feeds.Week, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT week FROM issues WHERE state = 'published'
		ORDER BY week DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("published issues: %w", err)
	}
	defer rows.Close()
	var out []feeds.Week
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("published issues: %w", err)
		}
		w, err := feeds.ParseWeek(s)
		if err != nil {
			return nil, fmt.Errorf("published issues: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// FeaturedEarlier returns the accepted entries of w's issue whose article
// an accepted entry of an earlier published issue has (same canonical URL
// or same title key), the earliest such issue for each.
func (db *DB) FeaturedEarlier(ctx context.Context, w feeds.Week) ([]feeds.Featured, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT e.id, p.week, p.id,
			CASE WHEN e.canonical_url <> '' AND p.canonical_url = e.canonical_url THEN 'canonical_url' ELSE 'title_key' END
		FROM issue_entries e
		JOIN issue_entries p ON p.week < e.week AND p.state = 'accepted'
			AND ((e.canonical_url <> '' AND p.canonical_url = e.canonical_url) OR (e.title_key <> '' AND p.title_key = e.title_key))
		JOIN issues i ON i.week = p.week AND i.state = 'published'
		WHERE e.week = ? AND e.state = 'accepted'
		ORDER BY e.id, p.week, p.id`, w.String())
	if err != nil {
		return nil, fmt.Errorf("featured before issue %s: %w", w, err)
	}
	defer rows.Close()
	var out []feeds.Featured
	seen := map[int64]bool{}
	for rows.Next() {
		var f feeds.Featured
		var week string
		if err := rows.Scan(&f.EntryID, &week, &f.Other, &f.By); err != nil {
			return nil, fmt.Errorf("featured before issue %s: %w", w, err)
		}
		if seen[f.EntryID] {
			continue
		}
		seen[f.EntryID] = true
		if f.Week, err = feeds.ParseWeek(week); err != nil {
			return nil, fmt.Errorf("featured before issue %s: %w", w, err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// EditorDecision is one of the editor's issue decisions that tells the
// curator something: an item rejected, or shown in another section than
// the rules gave it.
type EditorDecision struct {
	ItemID       int64
	Week         feeds.Week
	RulesSection string // the rules' section when the item entered the issue
	Section      string // the editor's
	State        feeds.EntryState
	At           time.Time // when the entry last changed
}

// EditorDecisions returns the decisions about stored items in the issues
// changed at or after since (zero: all) that differ from the rules': the
// rejected entries and the entries moved out of the rules' section, oldest
// change first.
func (db *DB) EditorDecisions(ctx context.Context, since time.Time) ([]EditorDecision, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT item_id, week, rules_section, section, state, updated_at
		FROM issue_entries
		WHERE item_id IS NOT NULL AND rules_section <> '' AND (state = 'rejected' OR section <> rules_section)
			AND updated_at >= ?
		ORDER BY updated_at, id`, since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("editor decisions: %w", err)
	}
	defer rows.Close()
	var out []EditorDecision
	for rows.Next() {
		var d EditorDecision
		var week, state string
		var at int64
		if err := rows.Scan(&d.ItemID, &week, &d.RulesSection, &d.Section, &state, &at); err != nil {
			return nil, fmt.Errorf("editor decisions: %w", err)
		}
		if d.Week, err = feeds.ParseWeek(week); err != nil {
			return nil, fmt.Errorf("editor decisions: %w", err)
		}
		d.State, d.At = feeds.EntryState(state), time.UnixMilli(at).UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}
