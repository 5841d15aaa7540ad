// Package curator decides which section of the digest each stored item belongs
// to, and whether it is excluded.
//
// It sits between the aggregator and the publisher: the aggregator stores raw
// items, the curator reads the ones not yet classified under the current rule
// set, scores them against every section's rules and writes back exactly one
// section per item, with the score and the rules version that decided it; the
// publisher reads classified items and never publishes excluded ones. An
// explanation (Ruleset.Explain) is computed from the item when asked for.
//
// Rules come from the configuration as SectionSpecs (and Options: the
// fallback section, the threshold, exclude rules and per-source settings).
// Compile turns them into a Ruleset once: all keywords of all rules go into
// one Aho–Corasick automaton, so classifying an item is a single pass over
// each of its fields however many keywords there are; regexes run only for
// rules that need them. A rule combines keywords and regexes with all, any
// and none conditions (see RuleSpec); a rule that fires adds its weight for
// each distinct term that matched, twice for a match in the title.
//
// Text is normalised once, the same way for keywords and items: lower case,
// full-width Latin letters and digits folded to ASCII, traditional Chinese
// characters folded to simplified ones (OpenCC's character table). A keyword
// of Latin letters or digits matches at word boundaries only ("go" does not
// match "google") unless it ends or starts with *, while CJK keywords match as
// substrings (Chinese has no spaces between words). A Latin keyword also
// matches its English word forms, each compiled into the same automaton
// (wordForms: outage/outages, acquire/acquisition, lay off/layoffs), and
// "a ~N b" matches a and b with at most N words between, by a regex that runs
// only on items where the automaton found its longest part.
//
// A rule marked final (RuleSpec.Final, rule.final) decides the item when it
// fires: events outrank the topic words around them.
//
// Evaluate measures a Ruleset against labelled items (config.LoadLabelled) with
// accuracy, a confusion matrix and per-section precision and recall; the
// default rules are measured this way in the package's tests.
//
// The editors' judgement is learned from labelled examples (past issues, moves,
// hides, as the store keeps them): Train fits a Model, naive Bayes over Chinese
// character bigrams, stemmed English words (Stem), the source and the link's
// host, whose per-section log-odds (Model.Score) are meant to be added to the
// rules' scores at a configured weight and are explained term by term
// (Model.Explain). ClassifyBlended is the reference for that combination, and
// CrossValidate and LearningCurve measure it on items the model never trained
// on.
package curator
