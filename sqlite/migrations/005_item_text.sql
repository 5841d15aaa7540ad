-- An item's long text lives in a table of its own. Classification, curation
-- and duplicate marking rewrite an item's row; with the summary and content
-- in it, each such write rewrote kilobytes per item, and a change of rules
-- rewrote the whole database. The items rows are now a few hundred bytes.
--
-- The stored explanation goes too: explanations are computed from the item
-- and the rules in force when asked for, and the decision itself (section,
-- score, excluded, rules_version) stays in the row.
CREATE TABLE item_text (
	id      INTEGER PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
	summary TEXT    NOT NULL DEFAULT '',
	content TEXT    NOT NULL DEFAULT ''
) STRICT;

INSERT INTO item_text (id, summary, content) SELECT id, summary, content FROM items;

ALTER TABLE items DROP COLUMN summary;
ALTER TABLE items DROP COLUMN content;
ALTER TABLE items DROP COLUMN explanation;
