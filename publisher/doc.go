// Package publisher renders the curated views of the store — all sections
// together and each section alone — as Atom feeds, and serves them over HTTP.
//
// It is the last stage of the pipeline: it reads only items the curator has
// classified, and never writes. A view is rendered once per change of the
// store (the store's Version) and served from memory with ETag and
// Last-Modified, so feed readers polling every few minutes cost almost
// nothing.
package publisher
