// Package sqlite is feedcurator's store: one SQLite database that carries
// every stage of the pipeline. The aggregator writes sources' fetch state and
// their items (SaveFetch), the curator reads unclassified items and writes
// their sections back (ItemsToClassify, SetSections), and the publisher reads
// the curated items (RecentItems, Version). The stages never talk to each
// other directly; this package is where they meet.
//
// DB satisfies the small consumer interfaces those packages declare; it is
// opened once in main and closed last.
//
// The driver is modernc.org/sqlite, a pure-Go translation of SQLite: the
// binary needs no cgo and cross-compiles like any Go program, at some cost in
// raw speed that a feed reader's write rate never notices.
//
// Writes go through a single connection (SQLite allows one writer at a time
// anyway) whose transactions begin IMMEDIATE, so concurrent writers queue in
// database/sql instead of failing with SQLITE_BUSY; reads use a separate
// read-only pool and, thanks to WAL, never wait for the writer.
//
// Labelled examples (labels.go) are what the editors decided: the items of
// imported past issues (ImportIssue, stored as published items of one
// archive source) and of labelled files (ImportLabels), and every move and
// hide, which a trigger records whatever writes the decision. Examples
// returns them for training; FeaturedBefore says whether an article was
// already published in an earlier issue.
//
// Times are stored as INTEGER unix milliseconds, NULL for the zero
// time.Time, and always come back in UTC.
package sqlite
