// Package digest builds the weekly digest: one issue (feeds.Issue) per ISO
// week (feeds.Week), holding the week's published items grouped into the
// configured sections, each with its title, a 要点 summary trimmed at a
// sentence boundary, and its link.
//
// It reads the store after the curator: an item belongs to the week of its
// sort time (its published date, clamped to when it was fetched), in the
// configured time zone. It asks the store only for what the issue shows,
// each section's best scored items up to Options.PerSection, so the cost
// of an issue does not grow with the store.
//
// With a store that keeps issues (IssueStore, which *sqlite.DB is), each
// week's issue is the editor's: Draft creates it from the week's
// candidates (the same selection and order as the issue built from the
// items) and from then on it is edited, not recomputed; candidates that
// arrive later join it as "later" entries. Check lists what is wrong
// before publishing (an empty section, an item without 要点, a dead link,
// an article featured before, a story accepted twice); Publish freezes the
// issue, Markdown included, and the publisher serves it as frozen from
// then on, until an explicit re-publish, a correction, bumps its Updated.
// A week without a stored issue is built from the items, as before.
//
// The issue of a week is published at the first scheduled moment (weekday
// and time of day) after the week ends: Run freezes the draft as it stands
// then (unless the editor turned auto-publish off for it) and writes it as
// a Jekyll Markdown post in the shape of the seed digests, and the
// publisher, through its Digest interface, lists it in its digest feed and
// serves it as a page. Build shows any week on demand
// (`feedcurator digest --week 2016-W26`). ParseArchive reads a past issue in
// the same shape back into its sections and items, for importing an archive
// of issues written before feedcurator (`feedcurator archive import`).
package digest
