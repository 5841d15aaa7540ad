package daemon

import (
	"context"

	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/sqlite"
)

// RulesPreview is what new rules would do to the stored items: feedcurator
// rules test prints it.
type RulesPreview struct {
	Items    int                    `json:"items"`    // classified items looked at
	Changed  int                    `json:"changed"`  // of which the rules would move
	Moves    map[string]int         `json:"moves"`    // "from -> to": count
	Examples map[string][]ItemTitle `json:"examples"` // "from -> to": some of the items
}

// ItemTitle names a stored item.
type ItemTitle struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
}

// PreviewRules classifies every classified item of the store under rs,
// writing nothing, and counts the items that would change section (or be
// excluded, or no longer be), with up to examples of each move. Items whose
// section or visibility the editor decided are left out: their decision
// stands whatever the rules say.
func PreviewRules(ctx context.Context, db *sqlite.DB, rs *curator.Ruleset, examples int) (RulesPreview, error) {
	out := RulesPreview{Moves: map[string]int{}, Examples: map[string][]ItemTitle{}}
	var after int64
	for {
		page, err := db.ClassifiedItems(ctx, after, 1000)
		if err != nil {
			return out, err
		}
		if len(page) == 0 {
			return out, nil
		}
		for i := range page {
			it := &page[i]
			after = it.ID
			out.Items++
			if it.Curation.Section != "" || it.Curation.Hidden {
				continue // the editor's decision stands
			}
			d := rs.Classify(&it.Item)
			from, to := it.Section, d.Section
			if it.Excluded {
				from = "(excluded)"
			}
			if d.Excluded {
				to = "(excluded)"
			}
			if from == to {
				continue
			}
			out.Changed++
			k := from + " -> " + to
			out.Moves[k]++
			if len(out.Examples[k]) < examples {
				out.Examples[k] = append(out.Examples[k], ItemTitle{ID: it.ID, Title: it.Title})
			}
		}
	}
}
