-- Two more origins of a labelled example, both from the editor's issues:
--   published  an item the editor kept in a published issue, in the section
--              it was published in (key 'published:ID'); a re-publication
--              replaces the issue's labels.
--   rejected   an item the editor rejected from an issue: "not for the
--              digest", like a hide, but the item stays in the feeds (key
--              'rejected:ID'); accepting it again withdraws the label.
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt,
-- and the triggers that write it are set up again around the rebuild.
DROP TRIGGER labels_curation;
DROP TRIGGER labels_archive_curation;

CREATE TABLE labels_new (
	id            INTEGER PRIMARY KEY,
	origin        TEXT    NOT NULL CHECK (origin IN ('imported', 'moved', 'hidden', 'published', 'rejected')),
	key           TEXT    NOT NULL UNIQUE,          -- 'item:ID' for moves and hides, 'published:ID', 'rejected:ID'; the import's key otherwise
	item_id       INTEGER REFERENCES items (id) ON DELETE SET NULL,
	section       TEXT    NOT NULL DEFAULT '',
	issue         TEXT    NOT NULL DEFAULT '',      -- ISO week of the issue, e.g. 2016-W26; '' if none
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
INSERT INTO labels_new SELECT * FROM labels;
DROP TABLE labels;
ALTER TABLE labels_new RENAME TO labels;
CREATE INDEX labels_item ON labels (item_id) WHERE item_id IS NOT NULL;

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
