-- Labelled examples: the sections the editors chose, kept for measuring and
-- training the curator.
--
-- Three origins:
--   imported  an item of a past issue (feedcurator archive import), or of a
--             labelled file; the section is the one the editors chose.
--   moved     an editor's move (feedcurator item move): override_section.
--   hidden    an editor's hide: "not for the digest"; section keeps the
--             section the item was in when it was hidden.
-- A label keeps a copy of the item's text, so that it outlives retention's
-- pruning of the item (item_id then becomes NULL) and later edits.
--
-- Past issues are stored as published items of one archive source
-- (sources.archive = 1): never polled (inactive), never pruned (pinned),
-- their section fixed (override_section) so that no re-classification moves
-- them. One source for every issue, because near-duplicates are looked for
-- across sources only: an article the editors featured in two issues stays
-- in both, and a feed item that brings it back is a duplicate of the issue's.
ALTER TABLE sources ADD COLUMN archive INTEGER NOT NULL DEFAULT 0;

CREATE TABLE labels (
	id            INTEGER PRIMARY KEY,
	origin        TEXT    NOT NULL CHECK (origin IN ('imported', 'moved', 'hidden')),
	key           TEXT    NOT NULL UNIQUE,          -- 'item:ID' for moves and hides; the import's key otherwise
	item_id       INTEGER REFERENCES items (id) ON DELETE SET NULL,
	section       TEXT    NOT NULL DEFAULT '',
	issue         TEXT    NOT NULL DEFAULT '',      -- ISO week of the imported issue, e.g. 2016-W26; '' if none
	at            INTEGER,                          -- the item's sort time; NULL for a labelled file's
	title         TEXT    NOT NULL DEFAULT '',
	summary       TEXT    NOT NULL DEFAULT '',
	link          TEXT    NOT NULL DEFAULT '',
	source        TEXT    NOT NULL DEFAULT '',      -- the source's name; '' when unknown (past issues)
	canonical_url TEXT    NOT NULL DEFAULT '',
	title_key     TEXT    NOT NULL DEFAULT '',
	hash          TEXT    NOT NULL DEFAULT '',      -- of what was imported: a repeated import changes nothing
	labelled_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX labels_item ON labels (item_id) WHERE item_id IS NOT NULL;

-- Every change of an editor's decision, whatever writes it, is a label; a
-- reset withdraws it. Items of the archive carry their section from the
-- import, which is their label already.
CREATE TRIGGER labels_curation AFTER UPDATE OF override_section, hidden ON items
	WHEN (NEW.override_section IS NOT OLD.override_section OR NEW.hidden IS NOT OLD.hidden)
		AND NOT EXISTS (SELECT 1 FROM sources WHERE id = NEW.source_id AND archive = 1)
BEGIN
	DELETE FROM labels WHERE key = 'item:' || NEW.id;
	INSERT INTO labels (origin, key, item_id, section, at, title, summary, link, source,
		canonical_url, title_key, labelled_at)
	SELECT CASE WHEN NEW.hidden THEN 'hidden' ELSE 'moved' END, 'item:' || NEW.id, NEW.id,
		CASE WHEN NEW.hidden OR NEW.override_section = '' THEN NEW.section ELSE NEW.override_section END,
		NEW.sort_time, NEW.title, coalesce((SELECT summary FROM item_text WHERE id = NEW.id), ''), NEW.link,
		(SELECT name FROM sources WHERE id = NEW.source_id), NEW.canonical_url, NEW.title_key,
		CAST(unixepoch('subsec') * 1000 AS INTEGER)
	WHERE NEW.override_section <> '' OR NEW.hidden;
END;

-- An editor who corrects an item of a past issue corrects its label.
CREATE TRIGGER labels_archive_curation AFTER UPDATE OF override_section, hidden ON items
	WHEN (NEW.override_section IS NOT OLD.override_section OR NEW.hidden IS NOT OLD.hidden)
		AND EXISTS (SELECT 1 FROM sources WHERE id = NEW.source_id AND archive = 1)
BEGIN
	UPDATE labels SET
		section = CASE WHEN NEW.override_section <> '' THEN NEW.override_section ELSE section END,
		origin = CASE WHEN NEW.hidden THEN 'hidden' ELSE 'imported' END,
		labelled_at = CAST(unixepoch('subsec') * 1000 AS INTEGER)
	WHERE item_id = NEW.id;
END;

-- The decisions made before labels were kept.
INSERT INTO labels (origin, key, item_id, section, at, title, summary, link, source,
	canonical_url, title_key, labelled_at)
SELECT CASE WHEN i.hidden THEN 'hidden' ELSE 'moved' END, 'item:' || i.id, i.id,
	CASE WHEN i.hidden OR i.override_section = '' THEN i.section ELSE i.override_section END,
	i.sort_time, i.title, coalesce(t.summary, ''), i.link, s.name, i.canonical_url, i.title_key,
	CAST(unixepoch('subsec') * 1000 AS INTEGER)
FROM items i JOIN sources s ON s.id = i.source_id LEFT JOIN item_text t ON t.id = i.id
WHERE i.override_section <> '' OR i.hidden;
