-- A source whose server answered 410 Gone is no longer polled (it shows as
-- gone in `feedcurator sources`); its items are kept.
ALTER TABLE sources ADD COLUMN gone INTEGER NOT NULL DEFAULT 0;
