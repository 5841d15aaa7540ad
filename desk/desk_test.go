package desk_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestDraftPage shows the week's draft section by section in the
// configured order, each candidate with its score, needs-review mark,
// explanation, near-duplicates and earlier issue, and the preview beside.
func TestDraftPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ed := e.week26()
	b := e.browser()
	b.signIn()
	home := b.get("/desk/")
	if home.status != http.StatusSeeOther || home.header.Get("Location") != "/desk/issue/2016-W26" {
		t.Fatalf("GET /desk/: %d to %q, want 303 to the next issue due", home.status, home.header.Get("Location"))
	}
	p := b.draft(w26)
	for _, want := range []string{`<html lang="zh-CN">`, `<main id="draft">`, `<aside id="preview"`,
		`<section class="section" id="section-cloud">`, `<section class="section" id="section-bigdata">`,
		`<section class="section" id="section-security">`, `<span id="issue-state" data-revision="0">draft</span>`,
		`<form id="issue-note"`, `<form id="add-url"`, `<form id="check"`, `id="run-check"`, `<form id="publish"`,
		`id="publish-now"`, `<form id="auto-publish"`, `<h2>云计算及容器技术`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the draft page lacks %s", want)
		}
	}
	if i, j, k := strings.Index(p.body, `id="section-cloud"`), strings.Index(p.body, `id="section-bigdata"`), strings.Index(p.body, `id="section-security"`); !(i < j && j < k) {
		t.Errorf("sections out of the configured order: cloud at %d, bigdata at %d, security at %d", i, j, k)
	}
	a := e.entry(ed, "a")
	art := p.article(t, a.ID)
	for _, want := range []string{`data-entry="` + strconv.FormatInt(a.ID, 10) + `"`, `data-state="accepted"`, `data-section="cloud"`,
		`tabindex="-1"`, `class="title" href="` + e.site.URL + `/a" rel="noopener noreferrer"`, `<span class="score"`, `3.00`,
		`<span class="review"`, `<details class="why">`, `<form class="state"`, `value="accepted"`, `value="rejected"`, `value="later"`,
		`<form class="move"`, `<select name="section"`, `<form class="summary"`, `<textarea id="summary-`, `<form class="note"`,
		`<form class="related"`, `name="add"`,
		// The 要点 as the issue will show it: the source's summary cut at a sentence.
		`本文从容器安全、镜像安全等方面介绍docker安全。`} {
		if !strings.Contains(art, want) {
			t.Errorf("entry a lacks %s:\n%s", want, art)
		}
	}
	if strings.Contains(art, "后面还有很多内容") {
		t.Errorf("entry a shows its source's summary uncut:\n%s", art)
	}
	again := e.entry(ed, "again")
	if art := p.article(t, again.ID); !strings.Contains(art, `already featured in issue 2016-W25`) {
		t.Errorf("entry of an article featured in 2016-W25 does not say so:\n%s", art)
	}
}
