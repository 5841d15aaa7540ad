-- A source whose URL changes in the configuration keeps its row (matched by
-- name): previous_url is the URL it had, url_changed_at when it changed.
-- position is the source's place in the configuration: near-duplicates
-- prefer the copy of the source listed first.
ALTER TABLE sources ADD COLUMN previous_url TEXT NOT NULL DEFAULT '';
ALTER TABLE sources ADD COLUMN url_changed_at INTEGER;
ALTER TABLE sources ADD COLUMN position INTEGER NOT NULL DEFAULT 0;

-- What the rules decided, apart from the editor's move, the editor's hiding
-- and near-duplicate folding: section and excluded are these combined, and
-- undoing a move, a hide or a fold restores them.
ALTER TABLE items ADD COLUMN rules_section TEXT NOT NULL DEFAULT '';
ALTER TABLE items ADD COLUMN rules_excluded INTEGER NOT NULL DEFAULT 0;
-- 1: the editor made this item the primary of its near-duplicate group.
ALTER TABLE items ADD COLUMN primary_pick INTEGER NOT NULL DEFAULT 0;

UPDATE items SET rules_section = section WHERE override_section = '';
UPDATE items SET rules_excluded = excluded WHERE hidden = 0 AND dup_of = 0;
-- Where the stored decision does not tell what the rules said, the curator
-- decides again.
UPDATE items SET rules_version = '' WHERE override_section <> '' OR hidden <> 0 OR dup_of <> 0;

-- Retention deletes the unpinned items that sort before its horizon: an
-- index of them makes each pass a walk over what it deletes, instead of a
-- read of the whole table every hour.
CREATE INDEX items_prune ON items (sort_time) WHERE pinned = 0;
