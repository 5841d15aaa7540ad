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
//
// Parsing is most of a poll's cost, so the Poller parses only what changed:
// a 304 is not parsed at all, and of a new document only the items that
// differ, byte for byte, from the ones it last saved for that source (see
// delta.go). Workers fetch and parse; saves run beside them, so that the
// store receives many sources' results at once and can commit them in one
// transaction.
//
// A poll's cost is bounded whatever the source sends: the body by
// Options.MaxBodySize, the whole exchange, parsing included, by
// Options.Timeout (the parse stops when the fetch's deadline passes), and
// the parse by the limits of feeds.Parser: the first Options.MaxItems items
// (feeds.DefaultMaxItems, 1,000) of a document are taken, and a document
// whose parse would cost far more than its size is refused as too complex.
// Each of these is a fetch error of that source, like any other, and every
// failure has a kind (ErrorKind) that labels metrics and decides when a
// failure that repeats is logged again.
package aggregator
