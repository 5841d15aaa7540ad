// Package curator decides which section of the digest each stored item belongs
// to.
//
// It sits between the aggregator and the publisher: the aggregator stores raw
// items, the curator reads the ones not yet classified under the current rule
// set, scores them against every section's rules and writes back exactly one
// section per item with an explanation; the publisher reads classified items.
//
// Rules come from the configuration as SectionSpecs. Compile turns them into a
// Ruleset once: all keywords of all sections go into one Aho–Corasick
// automaton, so classifying an item is a single pass over each of its fields
// however many keywords there are. Keywords are case-insensitive; full-width
// Latin letters and digits are folded to ASCII; a keyword made of Latin letters
// or digits only matches at word boundaries ("go" does not match "google"),
// while CJK keywords match as substrings (Chinese has no spaces between words).
package curator
