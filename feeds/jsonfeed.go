package feeds

import (
	"encoding/json"
	"io"
)

// JSONFeedVersion is the version URL WriteJSONFeed writes.
const JSONFeedVersion = "https://jsonfeed.org/version/1.1"

type jsonFeed struct {
	Version     string         `json:"version"`
	Title       string         `json:"title"`
	HomePageURL string         `json:"home_page_url,omitempty"`
	FeedURL     string         `json:"feed_url,omitempty"`
	Description string         `json:"description,omitempty"`
	NextURL     string         `json:"next_url,omitempty"`
	Language    string         `json:"language,omitempty"`
	Author      *jsonAuthor    `json:"author,omitempty"` // JSON Feed 1.0, for older readers
	Authors     []jsonAuthor   `json:"authors,omitempty"`
	Hubs        []jsonHub      `json:"hubs,omitempty"`
	Items       []jsonFeedItem `json:"items"`
}

type jsonAuthor struct {
	Name string `json:"name"`
}

type jsonHub struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

type jsonFeedItem struct {
	ID            string        `json:"id"`
	URL           string        `json:"url,omitempty"`
	Title         string        `json:"title,omitempty"`
	ContentHTML   string        `json:"content_html,omitempty"`
	ContentText   string        `json:"content_text,omitempty"`
	Summary       string        `json:"summary,omitempty"`
	DatePublished string        `json:"date_published,omitempty"`
	DateModified  string        `json:"date_modified,omitempty"`
	Author        *jsonAuthor   `json:"author,omitempty"` // JSON Feed 1.0, for older readers
	Authors       []jsonAuthor  `json:"authors,omitempty"`
	Tags          []string      `json:"tags,omitempty"`
	Language      string        `json:"language,omitempty"`
	Category      *jsonCategory `json:"_category,omitempty"`
	Source        *jsonSource   `json:"_source,omitempty"`
}

// jsonCategory is an extension carrying the whole category, of which the
// tag is only the label: the same term, scheme and label as Atom's.
type jsonCategory struct {
	Term   string `json:"term"`
	Scheme string `json:"scheme,omitempty"`
	Label  string `json:"label,omitempty"`
}

// jsonSource is an extension (JSON Feed allows keys starting with "_")
// naming the feed the item came from, like Atom's <source>.
type jsonSource struct {
	Title       string `json:"title,omitempty"`
	FeedURL     string `json:"feed_url,omitempty"`
	HomePageURL string `json:"home_page_url,omitempty"`
}

// WriteJSONFeed writes d as a JSON Feed 1.1 document. The document's links
// map to home_page_url (alternate), feed_url (self), next_url (next) and
// hubs (hub, as WebSub); each entry's HTML becomes content_html and its
// summary, as plain text, the summary. An entry with no HTML at all gets its
// title as content_text, since an item needs one or the other. Authors are
// written twice: as 1.1's authors and as 1.0's author, which older readers
// look for. The category's label is the item's tag; the category itself is
// the "_category" extension.
func WriteJSONFeed(w io.Writer, d *Document) error {
	d = printable(d)
	f := jsonFeed{
		Version:     JSONFeedVersion,
		Title:       d.Title,
		HomePageURL: d.Link("alternate"),
		FeedURL:     d.Link("self"),
		Description: d.Subtitle,
		NextURL:     d.Link("next"),
		Language:    d.Lang,
		Items:       make([]jsonFeedItem, 0, len(d.Entries)),
	}
	if d.Author != "" {
		f.Authors = []jsonAuthor{{Name: d.Author}}
		f.Author = &f.Authors[0]
	}
	for _, l := range d.Links {
		if l.Rel == "hub" {
			f.Hubs = append(f.Hubs, jsonHub{Type: "WebSub", URL: l.Href})
		}
	}
	for i := range d.Entries {
		e := &d.Entries[i]
		it := jsonFeedItem{
			ID:       e.ID,
			URL:      e.Link,
			Title:    e.Title,
			Summary:  PlainText(e.Summary),
			Language: e.Lang,
		}
		switch {
		case e.Content != "":
			it.ContentHTML = e.Content
		case e.Summary != "":
			it.ContentHTML = e.Summary
		default:
			it.ContentText = e.Title
		}
		if !e.Published.IsZero() {
			it.DatePublished = rfc3339(e.Published)
		}
		if !e.Updated.IsZero() {
			it.DateModified = rfc3339(e.Updated)
		}
		author := e.Author
		if author == "" {
			author = e.Source.Title
		}
		if author != "" {
			it.Authors = []jsonAuthor{{Name: author}}
			it.Author = &it.Authors[0]
		}
		if c := e.Category; c.Term != "" || c.Label != "" {
			it.Tags = []string{firstNonEmpty(c.Label, c.Term)}
			if c.Term != "" {
				it.Category = &jsonCategory{Term: c.Term, Scheme: c.Scheme, Label: c.Label}
			}
		}
		if e.Source.Title != "" || e.Source.SelfURL != "" || e.Source.Link != "" {
			it.Source = &jsonSource{Title: e.Source.Title, FeedURL: e.Source.SelfURL, HomePageURL: e.Source.Link}
		}
		f.Items = append(f.Items, it)
	}
	// HTML stays escaped as \u003c and so on (json's default): harmless
	// to readers, and the document cannot be sniffed as HTML.
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(f)
}
