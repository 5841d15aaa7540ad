package daemon

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/aggregator"
	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/digest"
	"github.com/feedcurator/feedcurator/publisher"
)

func TestOptionsFromExample(t *testing.T) {
	cfg, err := config.Load(filepath.Join("..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Fetch.UserAgent = "curator-test/1"
	cfg.Fetch.Workers = 7
	cfg.Fetch.Interval.Duration = 42 * time.Minute
	fo := FetchOptions(cfg)
	if fo.Workers != 7 || fo.UserAgent != "curator-test/1" || fo.DefaultInterval != 42*time.Minute || fo.DenyPrivate != cfg.Fetch.DenyPrivate {
		t.Errorf("fetch options %+v", fo)
	}
	cfg.Fetch.UserAgent = ""
	if FetchOptions(cfg).UserAgent == "" {
		t.Error("no default user agent")
	}

	cfg.BaseURL = ""
	po := PublishOptions(cfg, "http://127.0.0.1:9999")
	if po.BaseURL != "http://127.0.0.1:9999" || po.Title != cfg.Publish.Title || len(po.Sections) != len(cfg.Sections) || po.Location == nil {
		t.Errorf("publish options %+v", po)
	}
	for i, s := range po.Sections {
		if s.ID != cfg.Sections[i].ID || s.Title != cfg.Sections[i].Title {
			t.Errorf("section %d: %+v", i, s)
		}
	}
	if po := PublishOptions(cfg, ""); po.BaseURL != "http://"+cfg.Listen {
		t.Errorf("base URL without one configured: %q", po.BaseURL)
	}
	cfg.BaseURL = "https://digest.example.com/"
	if po := PublishOptions(cfg, "http://127.0.0.1:9999"); po.BaseURL != cfg.BaseURL {
		t.Errorf("configured base URL not used: %q", po.BaseURL)
	}
}

// TestDatabasePath: a relative database is found where the daemon keeps it,
// also from an operator's shell that has no $STATE_DIRECTORY.
func TestDatabasePath(t *testing.T) {
	const yaml = "database: feedcurator.db\nsources:\n  - {name: a, url: 'https://a.example/'}\nsections:\n  - {id: misc, title: Misc}\n"
	parse := func(name string) *config.Config {
		cfg, err := config.Parse(strings.NewReader(yaml), name)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	t.Setenv("STATE_DIRECTORY", "")
	if got := DatabasePath(parse("/etc/feedcurator/config.yaml")); got != "/var/lib/feedcurator/feedcurator.db" {
		t.Errorf("the unit's configuration: %s, want /var/lib/feedcurator/feedcurator.db", got)
	}
	if got := DatabasePath(parse("/home/ed/feeds.yaml")); got != "feedcurator.db" {
		t.Errorf("another configuration: %s, want the working folder's feedcurator.db", got)
	}
	t.Setenv("STATE_DIRECTORY", "/var/lib/private/feedcurator:/other")
	if got := DatabasePath(parse("/etc/feedcurator/config.yaml")); got != "/var/lib/private/feedcurator/feedcurator.db" {
		t.Errorf("under systemd: %s", got)
	}
	cfg := parse("/etc/feedcurator/config.yaml")
	cfg.Database = "/srv/db"
	if got := DatabasePath(cfg); got != "/srv/db" {
		t.Errorf("absolute: %s", got)
	}
}

// TestDefaultsStatedOnce: the configuration's defaults are the stages' own,
// so that a stage built from a configuration that sets nothing runs as it
// would with its zero options.
func TestDefaultsStatedOnce(t *testing.T) {
	cfg := config.Default()
	fo, def := FetchOptions(cfg), aggregator.DefaultOptions()
	if fo.DefaultInterval != def.DefaultInterval || fo.MinInterval != def.MinInterval || fo.MaxInterval != def.MaxInterval ||
		fo.Timeout != def.Timeout || fo.MaxBodySize != def.MaxBodySize || fo.Workers != def.Workers || fo.PerHost != def.PerHost ||
		fo.Jitter != def.Jitter || fo.UserAgent != def.UserAgent {
		t.Errorf("fetch options of the default configuration\n%+v\nstage defaults\n%+v", fo, def)
	}
	po, pdef := PublishOptions(cfg, "http://x"), publisher.DefaultOptions()
	if po.Items != pdef.Items || po.PageItems != pdef.PageItems || po.MaxAge != pdef.MaxAge || po.Interval != pdef.Interval ||
		po.DigestTitle != pdef.DigestTitle || po.DigestIssues != pdef.DigestIssues || po.Title != pdef.Title {
		t.Errorf("publish options of the default configuration\n%+v\nstage defaults\n%+v", po, pdef)
	}
	do, ddef := DigestOptions(cfg), digest.DefaultOptions()
	if do.Title != ddef.Title || do.Heading != ddef.Heading || do.Weekday != ddef.Weekday || do.At != ddef.At ||
		do.Location.String() != ddef.Location.String() || do.SummaryMax != ddef.SummaryMax || do.FileName != ddef.FileName ||
		do.Layout != ddef.Layout || do.Interval != ddef.Interval {
		t.Errorf("digest options of the default configuration\n%+v\nstage defaults\n%+v", do, ddef)
	}
}
