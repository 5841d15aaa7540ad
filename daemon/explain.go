package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/logkey"
	"github.com/feedcurator/feedcurator/internal/webguard"
	"github.com/feedcurator/feedcurator/sqlite"
)

// Explained is what feedcurator explain prints and /items/{id}/explain serves.
type Explained struct {
	Item        int64               `json:"item,omitempty"`
	Title       string              `json:"title"`
	Source      string              `json:"source,omitempty"`
	Published   string              `json:"published_section,omitempty"` // the section the store holds now
	Curation    *feeds.Curation     `json:"curation,omitempty"`
	DuplicateOf int64               `json:"duplicate_of,omitempty"` // published under that item
	Unpublished bool                `json:"unpublished,omitempty"`  // hidden, excluded, a near-duplicate or not classified
	Explanation curator.Explanation `json:"explanation"`
	// DecidedBy is the rules version of the stored decision when it is not
	// the version in force: the item awaits re-classification.
	DecidedBy string `json:"decided_by_rules,omitempty"`
}

// ExplainStored explains stored item id under rs, with the decision the
// store holds and the editor's curation.
func ExplainStored(ctx context.Context, db *sqlite.DB, rs *curator.Ruleset, id int64) (Explained, error) {
	d, err := db.ItemDecision(ctx, id)
	if err != nil {
		return Explained{}, err
	}
	it, c := d.Item, d.Curation
	out := Explained{Item: id, Title: it.Title, Source: it.SourceName, Published: it.Section,
		Curation:    &c,
		DuplicateOf: d.DuplicateOf, Unpublished: it.Excluded || c.Hidden || d.DuplicateOf != 0 || it.Section == "",
		Explanation: rs.Explain(&it)}
	if d.RulesVersion != "" && d.RulesVersion != out.Explanation.Version {
		out.DecidedBy = d.RulesVersion
	}
	return out, nil
}

// serveExplain answers GET /items/{id}/explain with the JSON explanation.
func (m *Main) serveExplain(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.Error(w, "item id must be a number", http.StatusBadRequest)
		return
	}
	out, err := ExplainStored(r.Context(), m.DB, m.Curator.Ruleset(), id)
	if errors.Is(err, feeds.ErrNotFound) || (err == nil && out.Unpublished && (webguard.CrossSite(r) || m.adminAuth(r) != authOK)) {
		// What is not published is the administrator's to see.
		http.NotFound(w, r)
		return
	} else if err != nil {
		m.Logger.Error().Err(err).Int64(logkey.ItemID, id).Msg("explain failed")
		http.Error(w, "explanation unavailable", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_ = writeJSON(w, out)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
