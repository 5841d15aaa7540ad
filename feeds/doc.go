// Package feeds is the domain of feedcurator: the types every stage shares
// (Source, Item, Section, FetchState, the digest's Week and Issue) and the
// feed formats themselves.
//
// It sits at the bottom of the pipeline. The aggregator uses Parse to turn a
// fetched RSS or Atom document into normalised Items; the curator assigns
// each Item a Section; the publisher renders Items back out as a Document
// with WriteAtom, WriteRSS or WriteJSONFeed, and the subscribed Sources with
// WriteOPML (ReadOPML reads such a list back for importing). PlainText and
// Summarize turn an item's HTML into the short plain text of the digest and
// the page. The package knows nothing of SQL, HTTP servers, YAML or logging.
package feeds
