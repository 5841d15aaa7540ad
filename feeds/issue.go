package feeds

import "time"

// IssueState is where an edited issue stands in its lifecycle.
type IssueState string

// The states of an edited issue.
const (
	IssueDraft     IssueState = "draft"     // being edited; not public unless due and auto-published
	IssuePublished IssueState = "published" // frozen: shown as last published
)

// EntryState is the editor's decision about one candidate of an issue.
type EntryState string

// The decisions about a candidate.
const (
	EntryAccepted EntryState = "accepted" // in the issue
	EntryRejected EntryState = "rejected" // left out, for good
	EntryLater    EntryState = "later"    // left out for now: not decided yet
)

// ValidEntryState reports whether s is one of the entry states.
func ValidEntryState(s EntryState) bool {
	return s == EntryAccepted || s == EntryRejected || s == EntryLater
}

// EditedIssue is the issue of a week as the editor keeps it: created as a
// draft from the week's candidates, then edited (never recomputed), and
// frozen when published.
type EditedIssue struct {
	Week        Week
	State       IssueState
	AutoPublish bool   // the schedule publishes the draft as it stands
	Note        string // 编者按
	CreatedAt   time.Time
	UpdatedAt   time.Time // the last edit or publication
	PublishedAt time.Time // the first publication; zero for a draft
	Revision    int       // publications so far
	// Entries in section order as stored (by section, then position);
	// the digest orders the sections as configured.
	Entries []IssueEntry
}

// Entry returns the entry with ID id, or nil.
func (ed *EditedIssue) Entry(id int64) *IssueEntry {
	for i := range ed.Entries {
		if ed.Entries[i].ID == id {
			return &ed.Entries[i]
		}
	}
	return nil
}

// IssueEntry is one candidate of an edited issue: a stored item, or an
// article added by its URL.
type IssueEntry struct {
	ID     int64 // the entry's own ID, unique across issues
	ItemID int64 // the stored item; 0 for an article added by URL
	// The article as it entered the issue: an added URL's title,
	// description and link, an item's title and link (which still read
	// once retention has pruned the item).
	Title, Description, Link string
	// Keys that find the same article in other issues.
	CanonicalURL, TitleKey string

	Section      string // where the issue shows it
	RulesSection string // the rules' section when it entered; "" for an added URL
	Position     int    // 1, 2, 3... within Section
	State        EntryState
	// Summary is the editor's 要点; nil stands for the source's summary,
	// cut at a sentence boundary.
	Summary *string
	Note    string        // the editor's note on the item
	Related []RelatedLink // 推荐阅读

	AddedAt, UpdatedAt time.Time

	// Item is the stored item as it is now, filled when reading; nil for
	// an added URL or a pruned item.
	Item *Item
	// DuplicateOf is the stored item Item duplicates (0 for none).
	DuplicateOf int64
}

// RelatedLink is a 推荐阅读 link of an entry: another stored item, or a
// URL. Reading fills an item's Title and URL from the store.
type RelatedLink struct {
	ItemID int64  `json:"item_id,omitempty"`
	URL    string `json:"url,omitempty"`
	Title  string `json:"title,omitempty"`
}

// Featured is an entry of an issue whose article an earlier published
// issue featured already.
type Featured struct {
	EntryID int64  // the entry of the issue asked about
	Week    Week   // the earlier issue
	Other   int64  // its entry
	By      string // what matched: "canonical_url" or "title_key"
}
