package desk_test

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestNearDuplicatesGrouped: the copies of a story show under the entry
// the issue keeps, the other sources' copies named with their source.
func TestNearDuplicatesGrouped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ed := e.week26()
	b := e.browser()
	b.signIn()
	bb := e.entry(ed, "b")
	// Another source's copy of b's story (same canonical URL).
	e.add(item{src: 0, key: "b-copy", title: "Weaveworks 容器网络方案深度解读", summary: "转载。", link: e.site.URL + "/weave",
		at: w26.Start(time.UTC).Add(20 * time.Hour), section: "cloud", score: 4, canonical: true})
	// The copy of the source listed first is the story's primary now: it
	// joins the issue as "later", and b, accepted, is its duplicate.
	if _, err := e.b.Draft(e.ctx, w26); err != nil {
		t.Fatal(err)
	}
	copyEntry := e.entry(e.issue(w26), "b-copy")
	if copyEntry.ItemID == 0 {
		t.Fatal("no entry of the copy")
	}
	p := b.draft(w26)
	copyID, bID := strconv.FormatInt(copyEntry.ID, 10), strconv.FormatInt(bb.ID, 10)
	art := p.article(t, copyEntry.ID)
	dupes := art[strings.Index(art, `class="dupes"`)+1:]
	if !strings.Contains(art, `class="dupes"`) || !strings.Contains(dupes, `<a href="#entry-`+bID+`">#`+bID+` 深度解读Weaveworks的容器网络方案</a>`) ||
		!strings.Contains(dupes, "Kubernetes Blog") || !strings.Contains(dupes, "accepted") {
		t.Errorf("the primary's entry does not list b (source, state) under it:\n%s", art)
	}
	if strings.Count(dupes, "Kubernetes Blog") != 1 {
		t.Errorf("b's source is listed twice under the primary:\n%s", dupes)
	}
	if art := p.article(t, bb.ID); !strings.Contains(art, `near-duplicate of <a href="#entry-`+copyID+`">#`+copyID+` Weaveworks 容器网络方案深度解读</a>`) {
		t.Errorf("b does not say whose duplicate it is:\n%s", art)
	}
}
