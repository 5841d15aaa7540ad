-- Near-duplicates across sources: the same story (same canonical URL, or a
-- near-identical title) is published once, under the first item classified;
-- the others point at it with dup_of and stay unpublished (excluded = 1).
ALTER TABLE items ADD COLUMN canonical_url TEXT NOT NULL DEFAULT '';
ALTER TABLE items ADD COLUMN title_key TEXT NOT NULL DEFAULT '';
ALTER TABLE items ADD COLUMN dup_of INTEGER NOT NULL DEFAULT 0;

-- findPrimary looks for the first candidate primary by key: only items that
-- can be primaries are indexed, in id order, so the lookup is one index probe
-- however many copies of a story there are.
CREATE INDEX items_canonical_url ON items (canonical_url, id)
	WHERE canonical_url <> '' AND dup_of = 0 AND hidden = 0;
CREATE INDEX items_title_key ON items (title_key, id)
	WHERE title_key <> '' AND dup_of = 0 AND hidden = 0;
CREATE INDEX items_dup_of ON items (dup_of) WHERE dup_of <> 0;
