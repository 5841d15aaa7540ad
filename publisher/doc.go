// Package publisher renders the curated views of the store and serves them
// over HTTP: "all", each section, and "digest" (one entry per weekly issue),
// each as Atom, RSS 2.0 and JSON Feed 1.1; an HTML page of the sections with
// links to every feed; each digest issue as a page and as Markdown; and the
// subscribed sources as OPML.
//
// It is the last stage of the pipeline: it reads only items the curator has
// classified, and never writes to the store. A document is rendered once
// per change of the store (its Version), of the options, or of the digest
// issue due, and served from memory with strong ETags, Last-Modified, a
// gzipped copy, and RFC 5005 rel="next" pages for older items, so feed
// readers polling every few minutes cost almost nothing. Sources' HTML is
// sanitised with bluemonday on the way out.
//
// Run keeps the outside world up to date after each change: it writes a
// static copy of the site into OutputDir and pings a WebSub hub for each
// feed whose content changed.
//
// The digest issues come from a Digest (*digest.Builder satisfies it), so
// the publisher depends on the digest's types in package feeds, not on the
// digest package.
package publisher
