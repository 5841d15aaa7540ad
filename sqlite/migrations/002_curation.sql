-- Manual curation (feedcurator item move|hide|pin) and retention.
-- override_section: the editor's section, which re-classification never changes.
-- hidden: never published, whatever the rules say (kept as excluded = 1 too,
--         so the published-items indexes need no change).
-- pinned: never pruned by retention.
ALTER TABLE items ADD COLUMN override_section TEXT NOT NULL DEFAULT '';
ALTER TABLE items ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;

-- Retention by age walks fetch times.
CREATE INDEX items_fetched ON items (fetched_at);
