-- The weekly issue as the editor keeps it. An issue is created as a draft
-- from its week's candidates and from then on edited, never recomputed;
-- publishing freezes it: frozen holds the issue as published (JSON of
-- feeds.Issue, its Markdown included), which the digest pages and feed
-- entry are rendered from until the next explicit publication.
CREATE TABLE issues (
	week         TEXT    PRIMARY KEY,                 -- ISO week, 2016-W26
	state        TEXT    NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'published')),
	auto_publish INTEGER NOT NULL DEFAULT 1,          -- 0: the schedule leaves the draft alone
	note         TEXT    NOT NULL DEFAULT '',         -- 编者按
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,                    -- the last edit or publication
	published_at INTEGER,                             -- the first publication; NULL for a draft
	revision     INTEGER NOT NULL DEFAULT 0,          -- publications so far
	frozen       TEXT    NOT NULL DEFAULT ''          -- the issue as last published; '' before
) STRICT;

-- One candidate of an issue: a stored item (item_id), or an article added
-- by URL (item_id NULL, its title, description and link here). An item's
-- title and link are copied here too when it enters the issue, so that the
-- entry still reads if retention prunes the item.
CREATE TABLE issue_entries (
	id            INTEGER PRIMARY KEY,
	week          TEXT    NOT NULL REFERENCES issues (week) ON DELETE CASCADE,
	item_id       INTEGER REFERENCES items (id) ON DELETE SET NULL,
	title         TEXT    NOT NULL DEFAULT '',
	description   TEXT    NOT NULL DEFAULT '',
	link          TEXT    NOT NULL DEFAULT '',
	canonical_url TEXT    NOT NULL DEFAULT '',        -- feeds.CanonicalURL of link
	title_key     TEXT    NOT NULL DEFAULT '',        -- the curator's title key
	section       TEXT    NOT NULL,
	rules_section TEXT    NOT NULL DEFAULT '',        -- the rules' section when it entered; '' for an added URL
	position      INTEGER NOT NULL,                   -- 1, 2, 3... within the section
	state         TEXT    NOT NULL CHECK (state IN ('accepted', 'rejected', 'later')),
	summary       TEXT,                               -- the editor's 要点; NULL: the source's, cut
	note          TEXT    NOT NULL DEFAULT '',        -- the editor's note on the item
	related       TEXT    NOT NULL DEFAULT '[]',      -- 推荐阅读: JSON [{"item_id": 12} | {"url": "...", "title": "..."}]
	added_at      INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX issue_entries_item ON issue_entries (week, item_id) WHERE item_id IS NOT NULL;
CREATE INDEX issue_entries_section ON issue_entries (week, section, position);
-- An article featured before is found by its keys across issues.
CREATE INDEX issue_entries_canonical_url ON issue_entries (canonical_url) WHERE canonical_url <> '';
CREATE INDEX issue_entries_title_key ON issue_entries (title_key) WHERE title_key <> '';
-- The editor's decisions that differ from the rules' are labelled examples.
CREATE INDEX issue_entries_item_id ON issue_entries (item_id) WHERE item_id IS NOT NULL;
