package feeds

// Curation is an editor's decision about one item, which the curator's
// re-classifications never undo.
type Curation struct {
	Section string `json:"section,omitempty"` // move to this section ("" leaves the section to the rules)
	Hidden  bool   `json:"hidden"`            // never publish
	Pinned  bool   `json:"pinned"`            // never prune
}
