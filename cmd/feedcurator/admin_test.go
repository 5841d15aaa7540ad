package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/feedcurator/feedcurator/daemon"
)

func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Execute(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), code
}

func TestAdminCommands(t *testing.T) {
	farm := newFeedFarm(t)
	cfgPath := writeConfig(t, farm, t.TempDir())
	// The rules alone: the editor's moves below would otherwise train the
	// learned part, and explain would show it (TestExplainLearned does).
	raw, _ := os.ReadFile(cfgPath)
	os.WriteFile(cfgPath, []byte(strings.Replace(string(raw), "curator:\n", "curator:\n  learned_weight: 0\n", 1)), 0o644)

	// Before any fetch there is no database: admin commands say where they
	// looked and how to point them at the daemon's, and create none.
	if _, errOut, code := run(t, "sources", "--config", cfgPath); code == 0 || !strings.Contains(errOut, "no database at") ||
		!strings.Contains(errOut, "--database") || strings.Contains(errOut, "fetch first") {
		t.Errorf("sources before any fetch: exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(cfgPath), "feedcurator.db")); err == nil {
		t.Error("sources created a database")
	}
	if _, errOut, code := run(t, "fetch", "--config", cfgPath, "--log-level", "error"); code != 0 {
		t.Fatalf("fetch: %s", errOut)
	}

	out, errOut, code := run(t, "sources", "--config", cfgPath, "--json")
	if code != 0 {
		t.Fatalf("sources: %s", errOut)
	}
	var srcs []sourceRow
	if err := json.Unmarshal([]byte(out), &srcs); err != nil {
		t.Fatalf("sources --json: %v\n%s", err, out)
	}
	failing := 0
	for _, s := range srcs {
		if s.Status == "error" {
			failing++
			if s.LastError == "" {
				t.Errorf("%s: no error text", s.Name)
			}
		} else if s.Items == 0 || s.ETag == "" {
			t.Errorf("%s: %+v", s.Name, s)
		}
	}
	if len(srcs) != 9 || failing != 4 {
		t.Errorf("%d sources, %d failing; want 9 and 4", len(srcs), failing)
	}
	out, _, _ = run(t, "sources", "--config", cfgPath)
	if !strings.Contains(out, "LAST ERROR") || !strings.Contains(out, "broken gone") || !strings.Contains(out, "404") {
		t.Errorf("sources table:\n%s", out)
	}

	out, _, code = run(t, "items", "--config", cfgPath, "--section", "paas", "--since", "3650d", "--json")
	var items []itemRow
	if err := json.Unmarshal([]byte(out), &items); err != nil || code != 0 || len(items) == 0 {
		t.Fatalf("items --json: %v %d\n%s", err, code, out)
	}
	for _, it := range items {
		if it.Section != "paas" {
			t.Errorf("item %d in %s", it.ID, it.Section)
		}
	}
	if _, errOut, code := run(t, "items", "--config", cfgPath, "--section", "nope"); code == 0 || !strings.Contains(errOut, `no section "nope"`) {
		t.Errorf("unknown section: %d %s", code, errOut)
	}

	// Move a paas item to industry, hide another, pin a third.
	moved, hidden := items[0].ID, items[1].ID
	if _, errOut, code := run(t, "item", "--config", cfgPath, "move", strconv.FormatInt(moved, 10), "industry"); code != 0 {
		t.Fatalf("move: %s", errOut)
	}
	if _, errOut, code := run(t, "item", "--config", cfgPath, "hide", strconv.FormatInt(hidden, 10)); code != 0 {
		t.Fatalf("hide: %s", errOut)
	}
	if _, errOut, code := run(t, "item", "--config", cfgPath, "move", "1", "nope"); code == 0 || !strings.Contains(errOut, "no section") {
		t.Errorf("move to unknown section: %s", errOut)
	}
	out, _, _ = run(t, "items", "--config", cfgPath, "--section", "industry", "--json", "--limit", "1000")
	if !strings.Contains(out, `"id": `+strconv.FormatInt(moved, 10)+",") {
		t.Errorf("moved item not in industry:\n%s", out)
	}
	out, _, _ = run(t, "items", "--config", cfgPath, "--json", "--limit", "1000")
	if strings.Contains(out, `"id": `+strconv.FormatInt(hidden, 10)+",") {
		t.Errorf("hidden item still published")
	}

	// explain: a stored item, as text and JSON, with the editor's move shown.
	out, errOut, code = run(t, "explain", "--config", cfgPath, strconv.FormatInt(moved, 10))
	if code != 0 || !strings.Contains(out, "editor: section industry") || !strings.Contains(out, "paas") {
		t.Errorf("explain %d: exit %d\n%s%s", moved, code, out, errOut)
	}
	out, _, code = run(t, "explain", "--config", cfgPath, "--json", strconv.FormatInt(items[2].ID, 10))
	var ex daemon.Explained
	if err := json.Unmarshal([]byte(out), &ex); err != nil || code != 0 || ex.Explanation.Section != "paas" || len(ex.Explanation.Fired) == 0 {
		t.Errorf("explain --json: %v\n%s", err, out)
	}
	out, _, code = run(t, "explain", "--config", cfgPath, "--title", "Docker 容器镜像安全扫描", "--summary", "关于镜像漏洞")
	if code != 0 || !strings.Contains(out, "containers") {
		t.Errorf("explain --title: %d\n%s", code, out)
	}
	if _, errOut, code := run(t, "explain", "--config", cfgPath, "99999"); code == 0 || !strings.Contains(errOut, "not found") {
		t.Errorf("explain of a missing item: %d %s", code, errOut)
	}

	// rules test: the same rules move nothing; rules that send Kubernetes to
	// industry move paas items there, and nothing is written.
	out, _, code = run(t, "rules", "test", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, " 0 would change") {
		t.Errorf("rules test with the same rules:\n%s", out)
	}
	raw, _ = os.ReadFile(cfgPath)
	changed := strings.Replace(string(raw), "  - id: industry\n    title: 业内动态\n    rules:\n", "  - id: industry\n    title: 业内动态\n    rules:\n      - keywords: [kubernetes]\n        weight: 50\n", 1)
	newCfg := filepath.Join(t.TempDir(), "new.yaml")
	os.WriteFile(newCfg, []byte(changed), 0o644)
	out, errOut, code = run(t, "rules", "test", "--config", newCfg)
	if code != 0 || !strings.Contains(out, "paas -> industry") {
		t.Errorf("rules test with new rules: %d\n%s%s", code, out, errOut)
	}
	out, _, _ = run(t, "items", "--config", cfgPath, "--section", "paas", "--json", "--limit", "1000")
	var after []itemRow
	json.Unmarshal([]byte(out), &after)
	if len(after) != len(items)-2 { // moved and hidden left paas
		t.Errorf("rules test wrote: paas has %d items, want %d", len(after), len(items)-2)
	}

	// explain under rules newer than the stored decision says so.
	out, _, code = run(t, "explain", "--config", newCfg, "--json", strconv.FormatInt(items[2].ID, 10))
	var newer daemon.Explained
	if err := json.Unmarshal([]byte(out), &newer); err != nil || code != 0 || newer.DecidedBy != ex.Explanation.Version ||
		newer.Explanation.Version == ex.Explanation.Version {
		t.Errorf("explain under new rules: decided by %q (stored rules %q), now %q in %q: %v\n%s",
			newer.DecidedBy, ex.Explanation.Version, newer.Explanation.Version, newer.Explanation.Section, err, out)
	}
	out, _, _ = run(t, "explain", "--config", newCfg, strconv.FormatInt(items[2].ID, 10))
	if !strings.Contains(out, "stored decision: rules version "+ex.Explanation.Version) {
		t.Errorf("explain text under new rules lacks the stored decision's version:\n%s", out)
	}
	if ex.DecidedBy != "" {
		t.Errorf("explain under the rules in force: decided_by %q, want none", ex.DecidedBy)
	}

	// rules eval against the labelled set.
	out, errOut, code = run(t, "rules", "eval", "--config", cfgPath, filepath.Join("..", "..", "curator", "testdata", "labelled", "tune.yaml"))
	if code != 0 || !strings.Contains(strings.ToLower(out), "accuracy") {
		t.Errorf("rules eval: %d\n%s%s", code, out, errOut)
	}

	out, _, code = run(t, "stats", "--config", cfgPath, "--json")
	var st statsOut
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != 0 {
		t.Fatalf("stats: %v\n%s", err, out)
	}
	if st.Sources != 9 || st.SourcesFailing != 4 || st.Items != demoItemCount(t) || st.Sections["paas"] == 0 {
		t.Errorf("stats %+v", st)
	}
	out, _, _ = run(t, "stats", "--config", cfgPath)
	if !strings.Contains(out, "containers") || !strings.Contains(out, "4 failing") {
		t.Errorf("stats table:\n%s", out)
	}
}
