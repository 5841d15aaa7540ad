-- Times are INTEGER unix milliseconds; NULL stands for "unset" (the zero time.Time).

CREATE TABLE sources (
	id            INTEGER PRIMARY KEY,
	config_url    TEXT    NOT NULL UNIQUE,          -- identity: the URL as written in the config
	url           TEXT    NOT NULL,                 -- URL actually fetched (config_url or a permanent redirect's target)
	name          TEXT    NOT NULL DEFAULT '',
	tags          TEXT    NOT NULL DEFAULT '[]',    -- JSON array of strings
	interval_sec  INTEGER NOT NULL DEFAULT 0,       -- 0: the global default
	active        INTEGER NOT NULL DEFAULT 1,       -- 0: no longer in the config; items kept
	etag          TEXT    NOT NULL DEFAULT '',
	last_modified TEXT    NOT NULL DEFAULT '',
	last_fetch    INTEGER,
	last_success  INTEGER,
	next_check    INTEGER,                          -- NULL: due now
	error_count   INTEGER NOT NULL DEFAULT 0,
	last_error    TEXT    NOT NULL DEFAULT '',
	last_status   INTEGER NOT NULL DEFAULT 0,
	feed_title    TEXT    NOT NULL DEFAULT '',
	feed_link     TEXT    NOT NULL DEFAULT '',
	feed_lang     TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE items (
	id            INTEGER PRIMARY KEY,
	source_id     INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
	key           TEXT    NOT NULL,                 -- identity within the source (feeds.ItemKey)
	guid          TEXT    NOT NULL DEFAULT '',
	link          TEXT    NOT NULL DEFAULT '',
	title         TEXT    NOT NULL DEFAULT '',
	summary       TEXT    NOT NULL DEFAULT '',
	content       TEXT    NOT NULL DEFAULT '',
	author        TEXT    NOT NULL DEFAULT '',
	categories    TEXT    NOT NULL DEFAULT '[]',    -- JSON array of strings
	lang          TEXT    NOT NULL DEFAULT '',
	published     INTEGER,
	updated       INTEGER,
	fetched_at    INTEGER NOT NULL,
	sort_time     INTEGER NOT NULL,                 -- published, clamped to the fetch time when absent or in the future
	hash          TEXT    NOT NULL,                 -- feeds.ContentHash: changes when the text does
	section       TEXT    NOT NULL DEFAULT '',      -- '': not classified yet, or matched no section
	score         REAL    NOT NULL DEFAULT 0,
	excluded      INTEGER NOT NULL DEFAULT 0,       -- 1: dropped by an exclude rule, never published
	explanation   TEXT    NOT NULL DEFAULT '',      -- the curator's JSON explanation
	rules_version TEXT    NOT NULL DEFAULT '',      -- version of the rules that set section; '' after an edit
	UNIQUE (source_id, key)                         -- also serves source_id lookups and the FK cascade
) STRICT;

-- RecentItems across all sections, and within one section. Partial indexes
-- keep unpublished rows out, so a page is an index walk with no filtering.
CREATE INDEX items_recent ON items (sort_time DESC, id DESC)
	WHERE section <> '' AND excluded = 0;
CREATE INDEX items_section_recent ON items (section, sort_time DESC, id DESC)
	WHERE excluded = 0;

-- ItemsToClassify: the rows whose rules_version differs from the current one
-- are few once the curator has caught up.
CREATE INDEX items_rules_version ON items (rules_version);

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value ANY  NOT NULL
) STRICT, WITHOUT ROWID;

-- version changes whenever what the publisher would serve may have changed.
INSERT INTO meta (key, value) VALUES ('version', 0);
