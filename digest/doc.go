// Package digest builds the weekly digest: one issue (feeds.Issue) per ISO
// week (feeds.Week), holding the week's published items grouped into the
// configured sections, each with its title, a 要点 summary trimmed at a
// sentence boundary, and its link.
//
// It reads the store after the curator: an item belongs to the week of its
// sort time (its published date, clamped to when it was fetched), in the
// configured time zone. Issues are not stored; Build recomputes any week
// from the items, so an issue can be rebuilt at any time and always agrees
// with the feeds. It asks the store only for what the issue shows, each
// section's best scored items up to Options.PerSection, so the cost of an
// issue does not grow with the store. The issue of a week is published at the first scheduled
// moment (weekday and time of day) after the week ends: Run writes it then
// as a Jekyll Markdown post in the shape of the seed digests, and the
// publisher, through its Digest interface, lists it in its digest feed and
// serves it as a page. Build rebuilds any week on demand
// (`feedcurator digest --week 2016-W26`). ParseArchive reads a past issue in
// the same shape back into its sections and items, for importing an archive
// of issues written before feedcurator (`feedcurator archive import`).
package digest
