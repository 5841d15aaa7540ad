package feeds

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"
)

// ErrNotFound is returned by stores when the requested record does not exist.
var ErrNotFound = errors.New("not found")

// Section is one part of the curated digest, such as "containers".
type Section struct {
	ID    string
	Title string
}

// Source is a subscribed feed as configured, plus its fetch state.
type Source struct {
	ID        int64
	Name      string
	ConfigURL string // the URL as written in the configuration: the source's identity
	Tags      []string
	Interval  time.Duration // 0 means the global default
	State     FetchState
}

// FetchState is what the aggregator remembers about a source between polls.
type FetchState struct {
	URL          string // URL to fetch: ConfigURL, or where a permanent redirect pointed
	ETag         string
	LastModified string
	LastFetch    time.Time // last attempt
	LastSuccess  time.Time
	NextCheck    time.Time
	ErrorCount   int
	LastError    string
	LastStatus   int
	FeedTitle    string // title the feed gives itself
	FeedLink     string // the feed's website
	FeedLang     string
	Gone         bool // the server answered 410 Gone: polling has stopped
}

// SaveStats counts what a store did with one fetch's items.
type SaveStats struct {
	New       int
	Updated   int
	Unchanged int
}

// Item is one article from one source, normalised.
type Item struct {
	ID         int64 // store row id; 0 until stored
	SourceID   int64
	Key        string // identity within the source: see ItemKey
	GUID       string
	Link       string
	Title      string
	Summary    string
	Content    string
	Author     string
	Categories []string
	Lang       string
	Published  time.Time
	Updated    time.Time
	Hash       string // content hash: changes when the item's text does

	// Stored is what the store knows of the item beyond what its feed
	// said: filled when reading, never set by a parser, ignored when saving.
	Stored
}

// Stored is what the store knows of an item beyond what its feed said:
// where it came from, when, and what the curator and the editor decided.
type Stored struct {
	FetchedAt   time.Time
	SortTime    time.Time // place in the published order; filled by paging queries
	Section     string
	Score       float64
	SourceName  string
	SourceURL   string // the feed's URL
	SourceTitle string
	SourceLink  string // the source's website
	SourceTags  []string
	AlsoIn      []Mention // other sources with the same story (near-duplicates)
	Excluded    bool
}

// ItemKey derives the stable identity of an item within its source: its
// GUID, else its link, else a hash of its text. The prefix keeps the three
// namespaces apart, so a GUID that happens to equal another item's link does
// not collide with it.
func ItemKey(guid, link, title, summary, content string) string {
	if g := strings.TrimSpace(guid); g != "" {
		return "guid:" + g
	}
	if l := strings.TrimSpace(link); l != "" {
		return "link:" + l
	}
	return "hash:" + hashOf(title, summary, content)
}

// ContentHash returns the hash stored with an item to notice edits cheaply.
func ContentHash(it *Item) string {
	return hashOf(it.Title, it.Link, it.Summary, it.Content, it.Author,
		strings.Join(it.Categories, "\x1f"), it.Published.UTC().Format(time.RFC3339), it.Updated.UTC().Format(time.RFC3339))
}

func hashOf(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Classification is the curator's decision about one item.
type Classification struct {
	ItemID   int64
	Section  string
	Score    float64
	Excluded bool // dropped by an exclude rule: stored, never published
	Review   bool // a close call the editor should look at

	// Near-duplicate keys: an item of another source with the same
	// canonical URL or title key is the same story, published once.
	CanonicalURL string
	TitleKey     string
}

// Mention is another source's copy of a story published once.
type Mention struct {
	Source string
	Link   string
}
