-- The digest shows the best scored items of each section of a week. This
-- index holds everything that choice reads (section, sort time, score and,
-- as the rowid, the id), so choosing a section's items walks only that
-- section's week in the index, however large the store, and only the
-- chosen rows are then read.
CREATE INDEX items_digest ON items (section, sort_time, score)
	WHERE excluded = 0;
