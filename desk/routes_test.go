package desk_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/feedcurator/feedcurator/feeds"
)

// TestEveryRoute makes each change the desk offers through its forms and
// checks what the store has after it: decisions, moves and ordering,
// 要点 and notes, 推荐阅读, the 编者按, an article added by URL, the check,
// auto-publish and publication.
func TestEveryRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ed := e.week26()
	b := e.browser()
	b.signIn()
	a, bb, d := e.entry(ed, "a"), e.entry(ed, "b"), e.entry(ed, "d")

	// post sends a change of entry id with the version the page shows and
	// expects the redirect back to the entry.
	// The page the last change went back to; its v are the entries' now.
	var last page
	post := func(id int64, what string, form url.Values) page {
		t.Helper()
		if last.body == "" {
			last = b.draft(w26)
		}
		form.Set("v", last.v(t, id))
		r := b.post(entryPath(w26, id, what), form)
		want := "/desk/issue/2016-W26#entry-" + strconv.FormatInt(id, 10)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != want {
			t.Fatalf("POST %s %v: %d to %q, want 303 to %s\n%s", what, form, r.status, r.header.Get("Location"), want, r.body)
		}
		last = b.draft(w26)
		return last
	}
	postIssue := func(what string, form url.Values, anchor string) page {
		t.Helper()
		r := b.post("/desk/issue/2016-W26/"+what, form)
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/desk/issue/2016-W26#"+anchor) {
			t.Fatalf("POST %s %v: %d to %q\n%s", what, form, r.status, r.header.Get("Location"), r.body)
		}
		last = b.draft(w26)
		return last
	}

	// Decisions.
	for _, st := range []feeds.EntryState{feeds.EntryRejected, feeds.EntryLater, feeds.EntryAccepted, feeds.EntryRejected} {
		p := post(d.ID, "state", url.Values{"state": {string(st)}})
		if got := e.issue(w26).Entry(d.ID).State; got != st {
			t.Errorf("after state=%s the store has %s", st, got)
		}
		if !strings.Contains(p.article(t, d.ID), `data-state="`+string(st)+`"`) {
			t.Errorf("after state=%s the page shows\n%s", st, p.article(t, d.ID))
		}
		if !strings.Contains(p.flash(), string(st)) {
			t.Errorf("after state=%s the flash says %q", st, p.flash())
		}
	}
	if p := b.draft(w26); p.flash() != "" {
		t.Errorf("the flash shows twice: %q", p.flash())
	}

	// Ordering within a section: b is first in cloud (the best score), a second.
	cloud := func() []int64 {
		var ids []int64
		for _, x := range e.issue(w26).Entries {
			if x.Section == "cloud" {
				ids = append(ids, x.ID)
			}
		}
		return ids
	}
	before := cloud()
	if before[0] != bb.ID || before[1] != a.ID {
		t.Fatalf("cloud starts %v, want b %d then a %d", before, bb.ID, a.ID)
	}
	p := b.draft(w26)
	if art := p.article(t, bb.ID); strings.Contains(art, `class="move up"`) || !strings.Contains(art, `class="move down"`) {
		t.Errorf("the first entry of a section should offer down, not up:\n%s", art)
	}
	post(a.ID, "move", url.Values{"section": {"cloud"}, "position": {"1"}}) // a's "up" form
	if got := cloud(); got[0] != a.ID || got[1] != bb.ID || len(got) != len(before) {
		t.Errorf("after a moved up cloud is %v, want a %d first, then b %d", got, a.ID, bb.ID)
	}
	post(a.ID, "move", url.Values{"section": {"cloud"}, "position": {"2"}}) // down again
	if got := cloud(); got[0] != bb.ID || got[1] != a.ID {
		t.Errorf("after a moved down cloud is %v", got)
	}

	// Into another section, at its end.
	p = post(bb.ID, "move", url.Values{"section": {"security"}})
	if x := e.issue(w26).Entry(bb.ID); x.Section != "security" || x.Position != 1 || x.State != feeds.EntryAccepted {
		t.Errorf("after the move to security entry b is %+v", x)
	}
	if !strings.Contains(p.article(t, bb.ID), `data-section="security"`) ||
		strings.Index(p.body, `id="section-security"`) > strings.Index(p.body, `id="entry-`+strconv.FormatInt(bb.ID, 10)+`"`) {
		t.Errorf("entry b is not shown in the security section")
	}
	if r := b.post(entryPath(w26, bb.ID, "move"), url.Values{"section": {"nowhere"}, "v": {last.v(t, bb.ID)}}); r.status != http.StatusBadRequest {
		t.Errorf("a move to an unknown section: %d, want 400", r.status)
	}

	// The 要点: written by the editor, then given back to the source.
	text := "编辑写的要点：<b>Docker</b> 安全三件事。"
	p = post(a.ID, "summary", url.Values{"summary": {"  " + text + "\r\n"}})
	if x := e.issue(w26).Entry(a.ID); x.Summary == nil || *x.Summary != text {
		t.Errorf("after the summary the store has %v", x.Summary)
	}
	if !strings.Contains(p.body, "要点: 编辑写的要点：&lt;b&gt;Docker&lt;/b&gt; 安全三件事。") {
		t.Errorf("the preview does not show the editor's 要点 as text")
	}
	if !strings.Contains(p.article(t, a.ID), `name="reset" value="1"`) {
		t.Errorf("an edited 要点 offers no way back to the source's")
	}
	post(a.ID, "summary", url.Values{"reset": {"1"}, "summary": {"ignored"}})
	if x := e.issue(w26).Entry(a.ID); x.Summary != nil {
		t.Errorf("after reset the store has %q", *x.Summary)
	}
	// Saving the source's 要点 unchanged keeps following the source.
	post(a.ID, "summary", url.Values{"summary": {"本文从容器安全、镜像安全等方面介绍docker安全。"}})
	if x := e.issue(w26).Entry(a.ID); x.Summary != nil {
		t.Errorf("saving the source's 要点 unchanged stored %q", *x.Summary)
	}

	// The note on an entry.
	post(a.ID, "note", url.Values{"note": {"值得一读。"}})
	if x := e.issue(w26).Entry(a.ID); x.Note != "值得一读。" {
		t.Errorf("after the note the store has %q", x.Note)
	}

	// 推荐阅读: a URL, a stored item, then the URL removed.
	link := e.site.URL + "/related"
	post(a.ID, "related", url.Values{"add": {link}})
	p = post(a.ID, "related", url.Values{"add": {strconv.FormatInt(e.ids["d"], 10)}})
	rel := e.issue(w26).Entry(a.ID).Related
	if len(rel) != 2 || rel[0].URL != link || rel[1].ItemID != e.ids["d"] {
		t.Fatalf("after two related links the store has %+v", rel)
	}
	if !strings.Contains(p.body, "推荐阅读：<a href=\""+link+"\"") || !strings.Contains(p.body, "推荐阅读：<a href=\"http") {
		t.Errorf("the preview lacks the related links")
	}
	for _, bad := range []string{"javascript:alert(1)", "/relative", "0", "-3", ""} {
		f := url.Values{"add": {bad}, "v": {last.v(t, a.ID)}}
		if r := b.post(entryPath(w26, a.ID, "related"), f); r.status != http.StatusBadRequest {
			t.Errorf("related add=%q: %d, want 400", bad, r.status)
		}
	}
	post(a.ID, "related", url.Values{"remove": {"0"}})
	if rel := e.issue(w26).Entry(a.ID).Related; len(rel) != 1 || rel[0].ItemID != e.ids["d"] {
		t.Errorf("after removing the first link the store has %+v", rel)
	}

	// The 编者按.
	p = postIssue("note", url.Values{"note": {"本期关注容器安全。"}}, "top")
	if got := e.issue(w26).Note; got != "本期关注容器安全。" {
		t.Errorf("after the 编者按 the store has %q", got)
	}
	if !strings.Contains(p.body, "编者按: 本期关注容器安全。") {
		t.Errorf("the preview lacks the 编者按")
	}

	// An article added by its URL, from a loopback page.
	r := b.post("/desk/issue/2016-W26/add-url", url.Values{"section": {"bigdata"}, "url": {e.site.URL + "/page"}})
	if r.status != http.StatusSeeOther || !strings.Contains(r.header.Get("Location"), "#entry-") {
		t.Fatalf("add-url: %d %q\n%s", r.status, r.header.Get("Location"), r.body)
	}
	added, _ := strconv.ParseInt(r.header.Get("Location")[strings.Index(r.header.Get("Location"), "#entry-")+7:], 10, 64)
	x := e.issue(w26).Entry(added)
	if x == nil || x.Section != "bigdata" || x.State != feeds.EntryAccepted || !strings.HasPrefix(x.Title, "Kubernetes 1.3：从零到一") {
		t.Fatalf("the added entry is %+v", x)
	}
	p = b.draft(w26)
	if art := p.article(t, added); !strings.Contains(art, "added by URL") || !strings.Contains(art, "Kubernetes 1.3 的新特性。") {
		t.Errorf("the added entry shows\n%s", art)
	}
	if r := b.post("/desk/issue/2016-W26/add-url", url.Values{"section": {"bigdata"}, "url": {"javascript:alert(1)"}}); r.status != http.StatusBadRequest {
		t.Errorf("add-url of a javascript: URL: %d, want 400", r.status)
	}

	// The check: the rejected d leaves bigdata with the added page, cloud
	// has the featured article again; problems are listed by kind.
	p = postIssue("check", url.Values{}, "top")
	if !strings.Contains(p.body, `<ul id="problems">`) || !strings.Contains(p.body, `<li data-kind="featured_before">`) {
		t.Errorf("the check does not list the featured article:\n%s", p.body[strings.Index(p.body, `id="check"`):][:2000])
	}
	if !strings.Contains(p.body, `href="#entry-`+strconv.FormatInt(e.entry(ed, "again").ID, 10)+`"`) {
		t.Errorf("the problem does not link its entry")
	}
	// Without the problems: reject the featured one, accept d's section.
	post(e.entry(ed, "again").ID, "state", url.Values{"state": {"rejected"}})
	post(d.ID, "state", url.Values{"state": {"later"}})
	post(a.ID, "summary", url.Values{"summary": {"要点。"}})
	for _, id := range []int64{added} {
		post(id, "summary", url.Values{"summary": {"新特性。"}})
	}
	post(a.ID, "related", url.Values{"remove": {"0"}}) // item d's link is dead
	p = postIssue("check", url.Values{}, "top")
	if !strings.Contains(p.body, `<p id="no-problems">`) || strings.Contains(p.body, `<ul id="problems">`) {
		t.Errorf("the check of a clean issue shows problems:\n%s", p.body[strings.Index(p.body, `id="check-results"`):][:1500])
	}

	// Auto-publish off and on.
	postIssue("auto-publish", url.Values{"on": {"0"}}, "top")
	if e.issue(w26).AutoPublish {
		t.Errorf("auto-publish is still on")
	}
	p = postIssue("auto-publish", url.Values{"on": {"1"}}, "top")
	if !e.issue(w26).AutoPublish || !strings.Contains(p.body, `<span id="auto-state">on</span>`) {
		t.Errorf("auto-publish is not on again")
	}
	if r := b.post("/desk/issue/2016-W26/auto-publish", url.Values{"on": {"maybe"}}); r.status != http.StatusBadRequest {
		t.Errorf("auto-publish on=maybe: %d, want 400", r.status)
	}

	// Publication, then a correction.
	p = postIssue("publish", url.Values{}, "top")
	is := e.issue(w26)
	if is.State != feeds.IssuePublished || is.Revision != 1 {
		t.Fatalf("after publish the issue is %s rev %d", is.State, is.Revision)
	}
	if !strings.Contains(p.body, `<span id="issue-state" data-revision="1">published rev 1</span>`) || !strings.Contains(p.flash(), "revision 1") {
		t.Errorf("the page does not show the publication: %q", p.flash())
	}
	md, err := os.ReadDir(e.b.Options().Dir)
	if err != nil || len(md) == 0 {
		t.Fatalf("no Markdown written: %v", err)
	}
	var post0 []byte
	for _, f := range md {
		if strings.Contains(f.Name(), "2016") {
			post0, _ = os.ReadFile(filepath.Join(e.b.Options().Dir, f.Name()))
		}
	}
	if !strings.Contains(string(post0), "本期关注容器安全。") || !strings.Contains(string(post0), "要点: 要点。") {
		t.Errorf("the published Markdown lacks the editor's text:\n%s", post0)
	}
	postIssue("publish", url.Values{}, "top")
	if is := e.issue(w26); is.Revision != 2 {
		t.Errorf("after a correction the issue is rev %d", is.Revision)
	}

	// Sign out: the session is gone.
	b.post("/desk/logout", url.Values{})
	if r := b.get("/desk/issue/2016-W26"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/desk/login" {
		t.Errorf("after sign-out the draft answers %d %q", r.status, r.header.Get("Location"))
	}
}
