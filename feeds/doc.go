// Package feeds is the domain of feedcurator: the types every stage shares
// (Source, Item, Section, FetchState) and the feed formats themselves.
//
// It sits at the bottom of the pipeline. The aggregator uses Parse to turn a
// fetched RSS or Atom document into normalised Items; the curator assigns
// each Item a Section; the publisher renders Items back out with WriteAtom.
// The package knows nothing of SQL, HTTP servers, YAML or logging.
package feeds
