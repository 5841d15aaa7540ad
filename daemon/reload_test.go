package daemon_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/daemon"
	"github.com/feedcurator/feedcurator/digest"
	"github.com/feedcurator/feedcurator/publisher"
	"github.com/rs/zerolog"
)

// settingChanges gives, for every setting of the configuration, a change of
// it from the defaults of testConfig: YAML to add, or a replacement in the
// file. TestReloadEverySetting fails for a setting missing here, so a new
// setting cannot go untested.
func settingChanges(dir string) map[string]func(string) string {
	add := func(yaml string) func(string) string {
		return func(s string) string { return strings.Replace(s, "sources:\n", yaml+"sources:\n", 1) }
	}
	replace := func(old, new string) func(string) string {
		return func(s string) string { return strings.Replace(s, old, new, 1) }
	}
	return map[string]func(string) string{
		"database":                 replace("database: ", "database: "+filepath.Join(dir, "other")+"-"),
		"database_max_size":        add("database_max_size: 1GiB\n"),
		"listen":                   replace("listen: 127.0.0.1:0", "listen: 127.0.0.1:1"),
		"base_url":                 add("base_url: https://digest.example.com/\n"),
		"log_level":                add("log_level: debug\n"),
		"fetch.interval":           add("fetch:\n  interval: 2h\n"),
		"fetch.min_interval":       add("fetch:\n  min_interval: 2m\n"),
		"fetch.max_interval":       add("fetch:\n  max_interval: 12h\n"),
		"fetch.timeout":            add("fetch:\n  timeout: 10s\n"),
		"fetch.max_body_size":      add("fetch:\n  max_body_size: 1MiB\n"),
		"fetch.workers":            add("fetch:\n  workers: 3\n"),
		"fetch.per_host":           add("fetch:\n  per_host: 1\n"),
		"fetch.jitter":             add("fetch:\n  jitter: 0.2\n"),
		"fetch.user_agent":         add("fetch:\n  user_agent: other/1\n"),
		"fetch.deny_private":       add("fetch:\n  deny_private: true\n"),
		"fetch.proxy":              add("fetch:\n  proxy: http://127.0.0.1:3128\n"),
		"fetch.max_items":          add("fetch:\n  max_items: 200\n"),
		"curator.interval":         add("curator:\n  interval: 3s\n"),
		"curator.fallback":         add("curator:\n  fallback: industry\n"),
		"curator.threshold":        add("curator:\n  threshold: 3\n"),
		"curator.learned_weight":   add("curator:\n  learned_weight: 1.5\n"),
		"curator.review_margin":    add("curator:\n  review_margin: 2\n"),
		"curator.exclude":          add("curator:\n  exclude:\n    - keywords: [广告]\n"),
		"publish.title":            add("publish:\n  title: 另一个标题\n"),
		"publish.subtitle":         add("publish:\n  subtitle: 副标题\n"),
		"publish.author":           add("publish:\n  author: 编辑部\n"),
		"publish.items":            add("publish:\n  items: 20\n"),
		"publish.page_items":       add("publish:\n  page_items: 5\n"),
		"publish.lang":             add("publish:\n  lang: en\n"),
		"publish.max_age":          add("publish:\n  max_age: 1m\n"),
		"publish.output_dir":       add("publish:\n  output_dir: " + filepath.Join(dir, "site") + "\n"),
		"publish.hub":              add("publish:\n  hub: http://127.0.0.1:1/hub\n"),
		"publish.interval":         add("publish:\n  interval: 1m\n"),
		"digest.title":             add("digest:\n  title: 第{date}期\n"),
		"digest.heading":           add("digest:\n  heading: 周报 {iso_date}\n"),
		"digest.weekday":           add("digest:\n  weekday: friday\n"),
		"digest.time":              add("digest:\n  time: \"16:30\"\n"),
		"digest.time_zone":         add("digest:\n  time_zone: Asia/Shanghai\n"),
		"digest.summary_max":       add("digest:\n  summary_max: 100\n"),
		"digest.per_section":       add("digest:\n  per_section: 5\n"),
		"digest.feed_title":        add("digest:\n  feed_title: 周报\n"),
		"digest.issues":            add("digest:\n  issues: 5\n"),
		"digest.dir":               add("digest:\n  dir: " + filepath.Join(dir, "_posts") + "\n"),
		"digest.file_name":         add("digest:\n  file_name: \"{week}.md\"\n"),
		"digest.layout":            add("digest:\n  layout: page\n"),
		"digest.categories":        add("digest:\n  categories: [周刊, 技术]\n"),
		"digest.tags":              add("digest:\n  tags: [技术]\n"),
		"digest.interval":          add("digest:\n  interval: 2m\n"),
		"admin.token":              add("admin:\n  token: s3cret\n"),
		"desk.password_hash":       add("desk:\n  password_hash: $2a$12$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0\n"),
		"desk.allow_remote":        add("desk:\n  allow_remote: true\n"),
		"retention.max_age":        add("retention:\n  max_age: 30d\n"),
		"retention.max_per_source": add("retention:\n  max_per_source: 500\n"),
		"retention.interval":       add("retention:\n  interval: 5m\n"),
		"sources":                  replace("sources:\n", "sources:\n  - name: one more\n    url: http://127.0.0.1:1/feed.xml\n"),
		"sections":                 replace("title: 大杂烩", "title: 大杂烩（其他）"),
	}
}

// TestReloadEverySetting changes each setting of the configuration in turn
// and reloads: the reload names it as applied, and the running
// configuration holds the new value, or as needing a restart, and the
// running configuration keeps the old one.
func TestReloadEverySetting(t *testing.T) {
	feeds := sampleFeeds(t)
	dir := t.TempDir()
	path := testConfig(t, dir, feeds, "")
	base, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	changes := settingChanges(dir)
	for _, s := range daemon.Settings() {
		if changes[s] == nil {
			t.Errorf("setting %s has no change in settingChanges: add one", s)
		}
	}
	m := openDaemon(t, path)
	ctx := context.Background()
	baseCfg := m.Current()
	restart := map[string]bool{}
	for _, s := range []string{"database", "listen", "log_level", "curator.interval"} {
		restart[s] = true
	}
	for _, setting := range daemon.Settings() {
		change := changes[setting]
		if change == nil {
			continue
		}
		t.Run(setting, func(t *testing.T) {
			changed := change(string(base))
			if changed == string(base) {
				t.Fatalf("the change of %s changes nothing", setting)
			}
			if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
				t.Fatal(err)
			}
			want, err := config.Load(path)
			if err != nil {
				t.Fatalf("changed configuration: %v\n%s", err, changed)
			}
			if got := daemon.Changed(baseCfg, want); !slices.Equal(got, []string{setting}) {
				t.Errorf("Changed = %v, want [%s]", got, setting)
			}
			res, err := m.Reload(ctx)
			if err != nil {
				t.Fatalf("reload: %v", err)
			}
			needsRestart := restart[setting] || strings.HasPrefix(setting, "fetch.")
			running := m.Current()
			switch {
			case needsRestart && !slices.Equal(res.Restart, []string{setting}):
				t.Errorf("reload: %+v, want %s named as needing a restart", res, setting)
			case needsRestart && !reflect.DeepEqual(value(running, setting), value(baseCfg, setting)):
				t.Errorf("%s = %v after the reload: a restart-only setting changed while running", setting, value(running, setting))
			case !needsRestart && !slices.Equal(res.Applied, []string{setting}):
				t.Errorf("reload: %+v, want %s applied", res, setting)
			case !needsRestart && !reflect.DeepEqual(value(running, setting), value(want, setting)):
				t.Errorf("%s = %v after the reload, want %v", setting, value(running, setting), value(want, setting))
			}
			// The stages run with the options of the configuration in force.
			// (Through a new stage of the same options, which fills in the
			// same defaults.)
			fresh := publisher.New(m.DB, daemon.PublishOptions(running, "http://"+m.Addr), zerolog.Nop())
			if got, want := m.Publisher.Options(), fresh.Options(); !sameOptions(got, want) {
				t.Errorf("publisher options\n%+v\nwant\n%+v", got, want)
			}
			if got, want := m.Digest.Options(), digest.New(m.DB, daemon.DigestOptions(running), zerolog.Nop()).Options(); !sameOptions(got, want) {
				t.Errorf("digest options\n%+v\nwant\n%+v", got, want)
			}
			if rs, _ := running.Ruleset(); m.Curator.Ruleset().Version() != rs.Version() {
				t.Errorf("curator rules %s, want %s", m.Curator.Ruleset().Version(), rs.Version())
			}
			if !strings.Contains(res.String(), setting) {
				t.Errorf("the reload's reply does not name %s:\n%s", setting, res)
			}
			// Back to the base configuration.
			if err := os.WriteFile(path, base, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Reload(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// value is the setting at path ("publish.title") of cfg.
func value(cfg *config.Config, path string) any {
	v := reflect.ValueOf(*cfg)
	for _, part := range strings.Split(path, ".") {
		t := v.Type()
		found := false
		for i := 0; i < t.NumField(); i++ {
			tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if tag == part {
				v, found = v.Field(i), true
				break
			}
		}
		if !found {
			return nil
		}
	}
	return v.Interface()
}

// sameOptions compares two option structs, leaving out their hooks (func
// and interface fields, and the HTTP client), which the daemon sets itself.
func sameOptions(a, b any) bool {
	va, vb := reflect.ValueOf(&a).Elem().Elem(), reflect.ValueOf(&b).Elem().Elem()
	ca, cb := reflect.New(va.Type()).Elem(), reflect.New(vb.Type()).Elem()
	ca.Set(va)
	cb.Set(vb)
	for i := 0; i < ca.NumField(); i++ {
		if k := ca.Field(i).Kind(); k == reflect.Func || k == reflect.Interface || ca.Type().Field(i).Name == "HTTPClient" {
			ca.Field(i).Set(reflect.Zero(ca.Field(i).Type()))
			cb.Field(i).Set(reflect.Zero(cb.Field(i).Type()))
		}
	}
	return reflect.DeepEqual(ca.Interface(), cb.Interface())
}
