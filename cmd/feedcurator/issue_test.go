package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/daemon"
	"github.com/feedcurator/feedcurator/digest"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/sqlite"
)

// issue runs one issue command.
func issue(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := cmdIssue(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

// TestIssueCommands edits an issue from the command line: the draft, each
// decision, the check, publication; moves and rejections are kept where
// the curator can learn from them.
func TestIssueCommands(t *testing.T) {
	farm := newFeedFarm(t)
	cfgPath := writeConfig(t, farm, t.TempDir())
	if _, errOut, code := run(t, "fetch", "--config", cfgPath, "--log-level", "error"); code != 0 {
		t.Fatalf("fetch: %s", errOut)
	}
	out, _, code := run(t, "items", "--config", cfgPath, "--json", "--limit", "1000")
	var items []itemRow
	if err := json.Unmarshal([]byte(out), &items); err != nil || code != 0 {
		t.Fatalf("items --json: %v %d\n%s", err, code, out)
	}
	// The week with the most items.
	count := map[feeds.Week]int{}
	var week feeds.Week
	for _, it := range items {
		if it.Published.IsZero() {
			continue
		}
		w := feeds.WeekOf(it.Published.UTC())
		if count[w]++; count[w] > count[week] {
			week = w
		}
	}
	flags := []string{"--config", cfgPath, "--week", week.String(), "--log-level", "error"}
	show := func() issueOut {
		t.Helper()
		out, errOut, err := issue(t, append([]string{"show", "--json"}, flags...)...)
		if err != nil {
			t.Fatalf("issue show: %v\n%s", err, errOut)
		}
		var is issueOut
		if err := json.Unmarshal([]byte(out), &is); err != nil {
			t.Fatalf("issue show --json: %v\n%s", err, out)
		}
		return is
	}
	must := func(args ...string) string {
		t.Helper()
		out, errOut, err := issue(t, append(args, flags...)...)
		if err != nil {
			t.Fatalf("issue %q: %v\n%s%s", args, err, errOut, out)
		}
		return out
	}

	is := show()
	if len(is.Entries) < 3 || is.State != feeds.IssueDraft || !is.AutoPublish {
		t.Fatalf("new draft of %s: %+v", week, is)
	}
	for _, e := range is.Entries {
		if e.State != feeds.EntryAccepted || e.Summary != nil {
			t.Errorf("new draft entry %+v", e)
		}
	}
	first, second := is.Entries[0], is.Entries[1]
	other := "misc"
	if second.Section == other {
		other = "paas"
	}
	must("reject", fmt.Sprint(first.Entry))
	// Flags after the arguments work too.
	if out, errOut, err := issue(t, "move", fmt.Sprint(second.Entry), other, "1", "--config", cfgPath, "--week", week.String(), "--log-level", "error"); err != nil ||
		!strings.Contains(out, "moved from "+second.Section) {
		t.Fatalf("issue move: %v %s\n%s", err, errOut, out)
	}
	must("summary", fmt.Sprint(second.Entry), "编辑写的要点。")
	must("note", "本周编者按。")
	must("note", fmt.Sprint(second.Entry), "值得一读。")
	must("related", fmt.Sprint(second.Entry), fmt.Sprint(first.ItemID), "https://example.com/related")
	must("add-url", other, farm.URL+"/html")
	if _, _, err := issue(t, append([]string{"move", fmt.Sprint(second.Entry), "nosuch"}, flags...)...); err == nil ||
		!strings.Contains(err.Error(), `no section "nosuch"`) {
		t.Errorf("move into an unknown section: %v", err)
	}
	if _, _, err := issue(t, append([]string{"accept", "999999"}, flags...)...); !errors.Is(err, feeds.ErrNotFound) {
		t.Errorf("accept of no entry: %v", err)
	}

	is = show()
	var moved, added *issueRow
	for i, e := range is.Entries {
		switch {
		case e.Entry == second.Entry:
			moved = &is.Entries[i]
		case e.ItemID == 0:
			added = &is.Entries[i]
		case e.Entry == first.Entry && e.State != feeds.EntryRejected:
			t.Errorf("rejected entry is %s", e.State)
		}
	}
	if moved == nil || moved.Section != other || moved.Position != 1 || moved.Summary == nil || *moved.Summary != "编辑写的要点。" ||
		moved.Note != "值得一读。" || len(moved.Related) != 2 || is.Note != "本周编者按。" {
		t.Errorf("edited entry %+v, note %q", moved, is.Note)
	}
	if added == nil || added.Title != "Moved" || added.Section != other {
		t.Errorf("added URL %+v", added)
	}

	out, _, err := issue(t, append([]string{"check", "--json"}, flags...)...)
	var problems []digest.Problem
	if jerr := json.Unmarshal([]byte(out), &problems); jerr != nil {
		t.Fatalf("check --json: %v\n%s", jerr, out)
	}
	if (len(problems) > 0) != errors.Is(err, errProblems) {
		t.Errorf("check found %d problems and returned %v", len(problems), err)
	}

	out = must("publish")
	if !strings.Contains(out, "revision 1") {
		t.Errorf("publish: %s", out)
	}
	must("auto-publish", "off")
	if is = show(); is.State != feeds.IssuePublished || is.Revision != 1 || is.AutoPublish {
		t.Errorf("after publish and auto-publish off: %+v", is)
	}
	if out := must("show"); !strings.Contains(out, "published, revision 1, auto-publish off") || !strings.Contains(out, "要点 edited") {
		t.Errorf("issue show:\n%s", out)
	}

	// The curator's lessons: the rejection and the move.
	cfg, err := loadConfig(cfgPath, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), daemon.DatabasePath(cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ds, err := db.EditorDecisions(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range ds {
		got = append(got, fmt.Sprintf("%d %s %s->%s", d.ItemID, d.State, d.RulesSection, d.Section))
	}
	want := []string{
		fmt.Sprintf("%d rejected %s->%s", first.ItemID, first.Section, first.Section),
		fmt.Sprintf("%d accepted %s->%s", second.ItemID, second.Section, other),
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("editor decisions\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
