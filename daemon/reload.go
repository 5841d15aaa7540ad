package daemon

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	sd "github.com/coreos/go-systemd/v22/daemon"
	"golang.org/x/sys/unix"

	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/internal/logkey"
)

// restartOnly are the settings that take effect on restart only, by their
// path in the configuration file; a path ending in "." stands for every
// setting under it. Every other setting applies on reload.
var restartOnly = []string{
	"database",         // the store is open
	"listen",           // the listener is bound
	"log_level",        // the loggers are built
	"fetch.",           // the HTTP client and the worker pool are built
	"curator.interval", // the curator's ticker runs
}

// needsRestart reports whether the setting at path applies on restart only.
func needsRestart(path string) bool {
	for _, r := range restartOnly {
		if path == r || (strings.HasSuffix(r, ".") && strings.HasPrefix(path, r)) {
			return true
		}
	}
	return false
}

// ReloadResult says what a reload changed.
type ReloadResult struct {
	Applied []string // settings changed and in force, by path ("publish.title", "sources")
	Restart []string // settings changed that take effect on restart only
}

// String is the reply of POST /admin/reload and feedcurator reload.
func (r ReloadResult) String() string {
	var b strings.Builder
	b.WriteString("reloaded")
	if len(r.Applied) == 0 && len(r.Restart) == 0 {
		b.WriteString(": nothing changed")
	}
	b.WriteString("\n")
	if len(r.Applied) > 0 {
		b.WriteString("applied: " + strings.Join(r.Applied, ", ") + "\n")
	}
	if len(r.Restart) > 0 {
		b.WriteString("needs a restart: " + strings.Join(r.Restart, ", ") + "\n")
	}
	return b.String()
}

// Reload re-reads the configuration file. Sources added are polled, sources
// removed stop (their items stay), changed rules re-classify the stored items,
// and every other setting applies at once, except those that need a restart
// (restartOnly), which are named in the result and in a warning. A
// configuration that fails validation is logged with every problem and the
// running one stays.
func (m *Main) Reload(ctx context.Context) (ReloadResult, error) {
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	notifyReloading()
	defer func() { _, _ = sd.SdNotify(false, sd.SdNotifyReady) }()

	if m.ConfigPath == "" {
		return ReloadResult{}, errors.New("no configuration file to reload")
	}
	cfg, err := config.Load(m.ConfigPath)
	var res ReloadResult
	if err == nil {
		res, err = m.apply(ctx, cfg)
	}
	if err != nil {
		m.metrics.reloads.WithLabelValues("error").Inc()
		m.Logger.Error().Err(err).Str(logkey.Config, m.ConfigPath).Msg("reload failed, keeping the running configuration")
		return ReloadResult{}, err
	}
	m.metrics.reloads.WithLabelValues("ok").Inc()
	return res, nil
}

// apply puts cfg in force, but for the settings that need a restart, which
// keep their running values.
func (m *Main) apply(ctx context.Context, cfg *config.Config) (ReloadResult, error) {
	old := m.config()
	rules, err := cfg.Ruleset()
	if err != nil {
		return ReloadResult{}, err
	}
	var res ReloadResult
	for _, path := range Changed(old, cfg) {
		if needsRestart(path) {
			res.Restart = append(res.Restart, path)
			m.Logger.Warn().Str(logkey.Setting, path).Msg("setting changes on restart only")
		} else {
			res.Applied = append(res.Applied, path)
		}
	}
	cfg.Database, cfg.Listen, cfg.LogLevel, cfg.Fetch = old.Database, old.Listen, old.LogLevel, old.Fetch
	cfg.Curator.Interval = old.Curator.Interval
	if err := m.DB.SetMaxSize(ctx, int64(cfg.MaxSize)); err != nil {
		return ReloadResult{}, err
	}
	sources, err := m.DB.SyncSources(ctx, SourcesOf(cfg))
	if err != nil {
		return ReloadResult{}, fmt.Errorf("register sources: %w", err)
	}
	m.Poller.SetSources(sources)
	m.DB.SetMaxAge(cfg.Retention.MaxAge.Duration)
	m.learnMu.Lock()
	model, _ := m.Curator.Ruleset().Model()
	rs, err := rules.WithModel(model, cfg.Curator.LearnedWeight)
	if err == nil {
		m.rules = rules
		m.Curator.SetRuleset(rs)
		if model == nil {
			m.labels = "" // the learn loop trains one when the weight allows
		}
	}
	m.learnMu.Unlock()
	if err != nil {
		return ReloadResult{}, err
	}
	m.Digest.SetOptions(DigestOptions(cfg))
	m.Publisher.SetOptions(m.publishOptions(cfg, "http://"+m.Addr))
	m.setConfig(cfg)
	select {
	case m.retentionChanged <- struct{}{}:
	default:
	}
	m.Logger.Info().Int(logkey.Sources, len(sources)).Str(logkey.RulesVer, rs.Version()).
		Strs(logkey.Changed, res.Applied).Msg("configuration reloaded")
	return res, nil
}

// Changed lists the settings that differ between a and b, by their path in
// the configuration file: one path per scalar setting ("fetch.workers",
// "publish.title"), one for each list or map as a whole ("sources",
// "sections", "digest.tags").
func Changed(a, b *config.Config) []string {
	var out []string
	diff(reflect.ValueOf(*a), reflect.ValueOf(*b), "", &out)
	sort.Strings(out)
	return out
}

// Settings lists the path of every setting of the configuration, as
// Changed names them.
func Settings() []string {
	var out []string
	settings(reflect.TypeOf(config.Config{}), "", &out)
	return out
}

func diff(a, b reflect.Value, prefix string, out *[]string) {
	t := a.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := yamlName(f)
		if name == "" {
			continue
		}
		av, bv := a.Field(i), b.Field(i)
		if nested(f.Type) {
			diff(av, bv, prefix+name+".", out)
			continue
		}
		if !reflect.DeepEqual(av.Interface(), bv.Interface()) {
			*out = append(*out, prefix+name)
		}
	}
}

func settings(t reflect.Type, prefix string, out *[]string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := yamlName(f)
		if name == "" {
			continue
		}
		if nested(f.Type) {
			settings(f.Type, prefix+name+".", out)
			continue
		}
		*out = append(*out, prefix+name)
	}
}

// nested reports whether a field of type t is a group of settings (fetch,
// publish…) rather than one setting: a struct that is not a value type of
// its own such as config.Duration.
func nested(t reflect.Type) bool {
	if t.Kind() != reflect.Struct {
		return false
	}
	for i := 0; i < t.NumField(); i++ {
		if yamlName(t.Field(i)) != "" {
			return true
		}
	}
	return false
}

// yamlName is the key of an exported field in the configuration file, ""
// for fields that are not settings.
func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if tag == "-" || tag == "" {
		return ""
	}
	return tag
}

// notifyReloading tells systemd a reload has begun, with the monotonic
// timestamp that Type=notify-reload services must send.
func notifyReloading() {
	var ts unix.Timespec
	msg := sd.SdNotifyReloading
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err == nil {
		msg += "\nMONOTONIC_USEC=" + strconv.FormatInt(ts.Nano()/1000, 10)
	}
	_, _ = sd.SdNotify(false, msg)
}
