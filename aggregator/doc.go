// Package aggregator is the first stage of feedcurator's pipeline: it polls
// the subscribed RSS and Atom sources and hands what it fetched to the store.
//
// A Fetcher performs one polite HTTP request: a conditional GET carrying the
// validators remembered from the previous poll, a capped and decompressed
// body, redirects recorded so that a feed that moved permanently is fetched
// from its new address, and the server's hints (Retry-After, Cache-Control,
// Expires) reported back. A Poller keeps every source in a schedule ordered
// by next check, fetches due sources in a bounded worker pool with a limit
// per host, backs off failing sources exponentially and saves each result
// through the Store interface, which the sqlite package satisfies. The
// curator reads the stored items from there; the aggregator imports neither.
package aggregator
