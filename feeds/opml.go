package feeds

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html/charset"
)

// ErrNotOPML is returned by ReadOPML for a document that is not OPML.
var ErrNotOPML = errors.New("document is not OPML")

// OPML is a subscription list: what WriteOPML writes and ReadOPML reads.
type OPML struct {
	Title   string
	Created time.Time // zero: no dateCreated
	Sources []Source
}

type opmlDoc struct {
	XMLName xml.Name    `xml:"opml"`
	Version string      `xml:"version,attr"`
	Head    opmlHead    `xml:"head"`
	Body    opmlOutline `xml:"body"`
}

type opmlHead struct {
	Title       string `xml:"title,omitempty"`
	DateCreated string `xml:"dateCreated,omitempty"`
}

type opmlOutline struct {
	Type     string        `xml:"type,attr,omitempty"`
	Text     string        `xml:"text,attr,omitempty"`
	Title    string        `xml:"title,attr,omitempty"`
	XMLURL   string        `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string        `xml:"htmlUrl,attr,omitempty"`
	Language string        `xml:"language,attr,omitempty"`
	Category string        `xml:"category,attr,omitempty"`
	Outlines []opmlOutline `xml:"outline"`
}

// WriteOPML writes o as an OPML 2.0 subscription list, one outline per
// source in o's order: its name as text and title, its configured URL as
// xmlUrl, its website and language (as learnt from its feed) as htmlUrl and
// language, and its tags, comma-separated, as category. Control characters
// are left out. The URLs are written as given: a list published beyond the
// operator should have been through RedactURL.
func WriteOPML(w io.Writer, o *OPML) error {
	doc := opmlDoc{Version: "2.0", Head: opmlHead{Title: dropControls(o.Title)}}
	if !o.Created.IsZero() {
		doc.Head.DateCreated = rfc1123(o.Created)
	}
	for _, s := range o.Sources {
		name := s.Name
		if name == "" {
			name = s.State.FeedTitle
		}
		if name == "" {
			name = s.ConfigURL
		}
		name = dropControls(name)
		doc.Body.Outlines = append(doc.Body.Outlines, opmlOutline{
			Type:     "rss",
			Text:     name,
			Title:    name,
			XMLURL:   dropControls(s.ConfigURL),
			HTMLURL:  dropControls(s.State.FeedLink),
			Language: dropControls(s.State.FeedLang),
			Category: dropControls(strings.Join(s.Tags, ",")),
		})
	}
	return writeXML(w, doc)
}

// ReadOPML reads an OPML 1.0 or 2.0 subscription list, in any encoding its
// XML declaration names. Every outline with an xmlUrl is a source, however
// deeply nested: its name is its text (else its title, else the URL), its
// ConfigURL the xmlUrl, and its Tags the comma-separated entries of its
// category attribute (OPML 2.0's "/a/b" paths give their last part) followed
// by the texts of the folders (outlines without xmlUrl) around it, each tag
// once. A URL listed twice keeps its first outline and gains the second's
// tags. Sources whose xmlUrl is not an absolute http or https URL are
// skipped and reported, joined, in the error, next to the sources that were
// read.
func ReadOPML(r io.Reader) (*OPML, error) {
	dec := xml.NewDecoder(r)
	dec.CharsetReader = charset.NewReaderLabel
	dec.Strict = true
	var doc opmlDoc
	if err := dec.Decode(&doc); err != nil {
		var se *xml.SyntaxError
		var ue xml.UnmarshalError
		if errors.As(err, &se) || errors.As(err, &ue) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: %v", ErrNotOPML, err)
		}
		return nil, fmt.Errorf("read opml: %w", err)
	}
	if doc.XMLName.Local != "opml" {
		return nil, ErrNotOPML
	}
	o := &OPML{Title: strings.TrimSpace(doc.Head.Title)}
	if t, err := time.Parse(time.RFC1123Z, strings.TrimSpace(doc.Head.DateCreated)); err == nil {
		o.Created = t
	} else if t, err := time.Parse(time.RFC1123, strings.TrimSpace(doc.Head.DateCreated)); err == nil {
		o.Created = t
	}
	index := map[string]int{}
	var errs []error
	var walk func(outs []opmlOutline, folders []string)
	walk = func(outs []opmlOutline, folders []string) {
		for _, ol := range outs {
			u := strings.TrimSpace(ol.XMLURL)
			if u == "" {
				folder := strings.TrimSpace(firstNonEmpty(ol.Text, ol.Title))
				inner := folders
				if folder != "" {
					inner = append(append([]string(nil), folders...), folder)
				}
				walk(ol.Outlines, inner)
				continue
			}
			name := strings.TrimSpace(firstNonEmpty(ol.Text, ol.Title))
			if name == "" {
				name = u
			}
			if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
				errs = append(errs, fmt.Errorf("outline %q: feed URL %q is not an absolute http(s) URL", name, u))
				walk(ol.Outlines, folders)
				continue
			}
			var tags []string
			for _, c := range strings.Split(ol.Category, ",") {
				c = strings.Trim(strings.TrimSpace(c), "/")
				if i := strings.LastIndexByte(c, '/'); i >= 0 {
					c = c[i+1:]
				}
				if c != "" {
					tags = append(tags, c)
				}
			}
			tags = append(tags, folders...)
			if i, ok := index[u]; ok {
				o.Sources[i].Tags = addTags(o.Sources[i].Tags, tags)
			} else {
				index[u] = len(o.Sources)
				o.Sources = append(o.Sources, Source{
					Name:      name,
					ConfigURL: u,
					Tags:      addTags(nil, tags),
					State: FetchState{
						URL:      u,
						FeedLink: strings.TrimSpace(ol.HTMLURL),
						FeedLang: strings.TrimSpace(ol.Language),
					},
				})
			}
			// Some exporters nest outlines under a feed; keep looking.
			walk(ol.Outlines, folders)
		}
	}
	walk(doc.Body.Outlines, nil)
	return o, errors.Join(errs...)
}

// addTags appends the tags of add that tags lacks.
func addTags(tags, add []string) []string {
	for _, t := range add {
		dup := false
		for _, have := range tags {
			if have == t {
				dup = true
				break
			}
		}
		if !dup {
			tags = append(tags, t)
		}
	}
	return tags
}
