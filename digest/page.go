package digest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"

	"github.com/feedcurator/feedcurator/feeds"
)

// maxPageBytes is how much of an added URL's page is read: its head is
// near the start.
const maxPageBytes = 1 << 20

// errNoClient is returned by AddURL and Check without Options.HTTPClient.
var errNoClient = errors.New("no HTTP client configured for the digest")

// pageMeta is what an added URL's page says of itself.
type pageMeta struct {
	title, description string
}

// fetchPage GETs link with the configured client and reads its title and
// description.
func (b *Builder) fetchPage(ctx context.Context, o *Options, link string) (pageMeta, error) {
	shown := feeds.RedactURL(link)
	if o.HTTPClient == nil {
		return pageMeta{}, fmt.Errorf("fetch %s: %w", shown, errNoClient)
	}
	ctx, cancel := context.WithTimeout(ctx, o.CheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return pageMeta{}, fmt.Errorf("fetch %s: %w", shown, err)
	}
	req.Header.Set("User-Agent", o.UserAgent)
	req.Header.Set("Accept", "text/html, application/xhtml+xml;q=0.9, */*;q=0.5")
	resp, err := o.HTTPClient.Do(req)
	if err != nil {
		return pageMeta{}, fmt.Errorf("fetch %s: %w", shown, unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return pageMeta{}, fmt.Errorf("fetch %s: status %d", shown, resp.StatusCode)
	}
	r, err := charset.NewReader(io.LimitReader(resp.Body, maxPageBytes), resp.Header.Get("Content-Type"))
	if err != nil {
		return pageMeta{}, fmt.Errorf("fetch %s: %w", shown, err)
	}
	m, err := readPageMeta(r)
	if err != nil {
		return pageMeta{}, fmt.Errorf("read %s: %w", shown, err)
	}
	return m, nil
}

// unwrapURLError drops the *url.Error wrapper, which repeats the URL
// unredacted.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// readPageMeta reads a page's head: og:title, else <title>; og:description,
// else the meta description. It stops at <body>.
func readPageMeta(r io.Reader) (pageMeta, error) {
	z := html.NewTokenizer(r)
	var title, ogTitle, desc, ogDesc string
	inTitle := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if errors.Is(z.Err(), io.EOF) {
				return finishMeta(ogTitle, title, ogDesc, desc), nil
			}
			return pageMeta{}, z.Err()
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch atom.Lookup(name) {
			case atom.Title:
				inTitle = tt == html.StartTagToken
			case atom.Body:
				return finishMeta(ogTitle, title, ogDesc, desc), nil
			case atom.Meta:
				var prop, content string
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					switch strings.ToLower(string(k)) {
					case "property", "name":
						if prop == "" || strings.HasPrefix(strings.ToLower(string(v)), "og:") {
							prop = strings.ToLower(string(v))
						}
					case "content":
						content = string(v)
					}
				}
				switch prop {
				case "og:title":
					ogTitle = firstNonEmpty(ogTitle, content)
				case "og:description":
					ogDesc = firstNonEmpty(ogDesc, content)
				case "description":
					desc = firstNonEmpty(desc, content)
				}
			}
		case html.TextToken:
			if inTitle && title == "" {
				title = string(z.Text())
			}
		case html.EndTagToken:
			inTitle = false
		}
	}
}

func finishMeta(ogTitle, title, ogDesc, desc string) pageMeta {
	// The tokenizer has decoded the text already: it is plain text.
	clean := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	return pageMeta{
		title:       clean(firstNonEmpty(strings.TrimSpace(ogTitle), strings.TrimSpace(title))),
		description: clean(firstNonEmpty(strings.TrimSpace(ogDesc), strings.TrimSpace(desc))),
	}
}
