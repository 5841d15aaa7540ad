-- needs_review: the curator's decision was a close call (another section
-- within the review margin of the winner, or a score below the threshold):
-- `feedcurator items --review` lists these for the editor.
ALTER TABLE items ADD COLUMN needs_review INTEGER NOT NULL DEFAULT 0;
CREATE INDEX items_review ON items (sort_time DESC, id DESC) WHERE needs_review = 1;
