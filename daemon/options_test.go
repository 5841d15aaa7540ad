package daemon

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/config"
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
