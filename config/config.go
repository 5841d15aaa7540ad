package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/feedcurator/feedcurator/aggregator"
	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/publisher"
)

// Config is the whole configuration file.
type Config struct {
	Database  string                `yaml:"database"`
	MaxSize   ByteSize              `yaml:"database_max_size"` // cap of the database file; 0 for none
	Listen    string                `yaml:"listen"`
	BaseURL   string                `yaml:"base_url"`
	LogLevel  string                `yaml:"log_level"`
	Fetch     Fetch                 `yaml:"fetch"`
	Curator   Curator               `yaml:"curator"`
	Publish   Publish               `yaml:"publish"`
	Digest    Digest                `yaml:"digest"`
	Admin     Admin                 `yaml:"admin"`
	Desk      Desk                  `yaml:"desk"`
	Retention Retention             `yaml:"retention"`
	Sources   []Source              `yaml:"sources"`
	Sections  []curator.SectionSpec `yaml:"sections"`

	file string     // name used in messages
	root *yaml.Node // for line numbers
}

// Fetch configures the aggregator.
type Fetch struct {
	Interval    Duration `yaml:"interval"`     // default per-source poll interval
	MinInterval Duration `yaml:"min_interval"` // floor of any schedule
	MaxInterval Duration `yaml:"max_interval"` // cap of backoff and server hints
	Timeout     Duration `yaml:"timeout"`
	MaxBodySize ByteSize `yaml:"max_body_size"`
	Workers     int      `yaml:"workers"`
	PerHost     int      `yaml:"per_host"`
	Jitter      float64  `yaml:"jitter"`
	UserAgent   string   `yaml:"user_agent"`
	DenyPrivate bool     `yaml:"deny_private"` // refuse loopback and private addresses, redirects and proxied targets included
	Proxy       string   `yaml:"proxy"`        // proxy for every fetch, trusted on any address; "" for $HTTPS_PROXY and the like
	MaxItems    int      `yaml:"max_items"`    // items taken from one document, the first ones
}

// Curator configures classification.
type Curator struct {
	Interval  Duration `yaml:"interval"`
	Fallback  string   `yaml:"fallback"`
	Threshold float64  `yaml:"threshold"`
	// LearnedWeight is how much the part learned from the editor's
	// labelled examples weighs beside the rules; 0 switches it off.
	LearnedWeight float64 `yaml:"learned_weight"`
	// ReviewMargin marks a decision for the editor's review when another
	// section scored within this much of the winner; 0 marks none.
	ReviewMargin float64            `yaml:"review_margin"`
	Exclude      []curator.RuleSpec `yaml:"exclude"` // items these match are stored, never published
}

// Publish configures the published feeds.
type Publish struct {
	Title     string   `yaml:"title"`
	Subtitle  string   `yaml:"subtitle"`
	Author    string   `yaml:"author"`
	Items     int      `yaml:"items"`      // entries per feed document; older ones are paged
	PageItems int      `yaml:"page_items"` // items per section on the HTML page
	Lang      string   `yaml:"lang"`
	MaxAge    Duration `yaml:"max_age"`    // Cache-Control max-age of first pages
	OutputDir string   `yaml:"output_dir"` // static copy of the site; "" for none
	Hub       string   `yaml:"hub"`        // WebSub hub; "" for none
	Interval  Duration `yaml:"interval"`   // how often changes are written out and announced
}

// Source is one subscribed feed.
type Source struct {
	Name     string   `yaml:"name"`
	URL      string   `yaml:"url"`
	Interval Duration `yaml:"interval"`
	Tags     []string `yaml:"tags"`
	// Section is the source's default section: a prior of half the
	// threshold added to that section for every item of the source, and
	// where its items go, not to the fallback, when no section reaches the
	// threshold.
	Section string `yaml:"section"`
	// Bias is added to a section's score for this source's items: in full
	// when at least one of that section's rules fired, else as a prior of
	// half of it (at most half the threshold).
	Bias map[string]float64 `yaml:"bias"`
}

// Default returns the configuration that a file's settings override. Each
// stage states its own defaults (aggregator, publisher and digest
// DefaultOptions); the configuration starts from them.
func Default() *Config {
	fo := aggregator.DefaultOptions()
	po := publisher.DefaultOptions()
	return &Config{
		Database: "feedcurator.db",
		Listen:   "127.0.0.1:8080",
		LogLevel: "info",
		Fetch: Fetch{
			Interval:    Duration{fo.DefaultInterval},
			MinInterval: Duration{fo.MinInterval},
			MaxInterval: Duration{fo.MaxInterval},
			Timeout:     Duration{fo.Timeout},
			MaxBodySize: ByteSize(fo.MaxBodySize),
			Workers:     fo.Workers,
			PerHost:     fo.PerHost,
			Jitter:      fo.Jitter,
			MaxItems:    feeds.DefaultMaxItems,
			UserAgent:   fo.UserAgent,
		},
		Curator: Curator{Interval: Duration{5 * time.Second}, LearnedWeight: curator.DefaultLearnedWeight, ReviewMargin: 1},
		Publish: Publish{Title: po.Title, Author: po.Author, Items: po.Items, PageItems: po.PageItems,
			MaxAge: Duration{po.MaxAge}, Interval: Duration{po.Interval}},
		Digest:    DefaultDigest(),
		Retention: Retention{Interval: Duration{time.Hour}},
	}
}

// MaxFileSize caps a configuration file: far above any real one (10,000
// sources take about 1 MiB), far below what would exhaust memory while
// decoding.
const MaxFileSize = 8 << 20

// ErrTooLarge and ErrNotRegular are returned by Load for files it refuses
// to read.
var (
	ErrTooLarge   = fmt.Errorf("larger than %d MiB", MaxFileSize>>20)
	ErrNotRegular = errors.New("not a regular file")
)

// Load reads and checks the configuration file at path. Only a regular file
// (or a symbolic link to one) of at most MaxFileSize is read: a FIFO or a
// device would block or never end.
func Load(path string) (*Config, error) {
	data, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(bytes.NewReader(data), path)
}

// ReadFile reads a configuration file as Load does, refusing what is not a
// regular file or is larger than MaxFileSize.
func ReadFile(path string) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO with no writer must not block; it is
	// refused below once opened.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("read config %s: %w (%s)", path, ErrNotRegular, fi.Mode().Type())
	}
	if fi.Size() > MaxFileSize {
		return nil, fmt.Errorf("read config %s: %w", path, ErrTooLarge)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("read config %s: %w", path, ErrTooLarge)
	}
	return data, nil
}

// Parse decodes and checks a configuration; name labels error messages.
// Unknown keys, values of the wrong type, bad durations and every failed
// check are all reported, joined, each as "name:line: field: problem".
func Parse(r io.Reader, name string) (*Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("read config %s: %w", name, ErrTooLarge)
	}
	c := Default()
	c.file = name
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(name, err)
	}
	if len(root.Content) == 0 {
		return nil, &ValidationError{File: name, Line: 1, Err: ErrEmpty}
	}
	c.root = &root
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var decodeErr error
	if err := dec.Decode(c); err != nil {
		// Type errors (unknown keys, bad values) leave the rest decoded:
		// validate that too, so every problem is reported in one pass.
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, yamlError(name, err)
		}
		decodeErr = yamlError(name, err)
	}
	if err := errors.Join(decodeErr, c.Validate()); err != nil {
		return nil, err
	}
	return c, nil
}

// File returns the name the configuration was read from.
func (c *Config) File() string { return c.file }

var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// yamlError turns yaml.v3's errors into ValidationErrors with file and line.
func yamlError(name string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var errs []error
		for _, msg := range te.Errors {
			errs = append(errs, lineError(name, msg))
		}
		return errors.Join(errs...)
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	return lineError(name, msg)
}

func lineError(name, msg string) error {
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &ValidationError{File: name, Line: n, Err: errors.New(m[2])}
	}
	return &ValidationError{File: name, Err: errors.New(msg)}
}

// Sentinel problems, wrapped in *ValidationError.
var (
	ErrEmpty        = errors.New("configuration is empty")
	ErrRequired     = errors.New("is required")
	ErrInvalidURL   = errors.New("not an absolute http or https URL")
	ErrDuplicate    = errors.New("duplicate")
	ErrOutOfRange   = errors.New("out of range")
	ErrInvalidAddr  = errors.New("not a host:port address")
	ErrInvalidLevel = errors.New("unknown log level")
	ErrInvalidID    = errors.New("invalid section id")
	ErrInvalidValue = errors.New("invalid value")
)

// ValidationError is one problem in a configuration file.
type ValidationError struct {
	File  string
	Line  int
	Field string
	Err   error
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ValidationError) Unwrap() error { return e.Err }

// Validate checks the decoded configuration and reports all problems, part
// by part, each with the file, line and field it concerns.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field string, err error) {
		errs = append(errs, &ValidationError{File: c.file, Line: c.line(field), Field: field, Err: err})
	}
	c.validateServer(bad)
	c.validateFetch(bad)
	c.validateCurator(bad)
	positive(bad, "retention.interval", c.Retention.Interval)
	if c.Retention.MaxPerSource < 0 {
		bad("retention.max_per_source", fmt.Errorf("%w: must not be negative", ErrOutOfRange))
	}
	c.validatePublish(bad)
	c.validateDigest(bad)
	c.validateDesk(bad)
	c.validateSources(bad)
	c.validateSections(bad)
	return errors.Join(errs...)
}

// validateCurator checks the curator section. curator.threshold,
// curator.exclude and sources[].section and .bias are checked by
// curator.Compile in validateSections, with the paths of this file.
func (c *Config) validateCurator(bad func(string, error)) {
	positive(bad, "curator.interval", c.Curator.Interval)
	if w := c.Curator.LearnedWeight; !(w >= 0) || w > 100 {
		bad("curator.learned_weight", fmt.Errorf("%w: want 0 (off) to 100", ErrOutOfRange))
	}
	if r := c.Curator.ReviewMargin; !(r >= 0) || r > 1000 {
		bad("curator.review_margin", fmt.Errorf("%w: want 0 (none) to 1000", ErrOutOfRange))
	}
}

// positive reports d under field unless it is greater than 0.
func positive(bad func(string, error), field string, d Duration) {
	if d.Duration <= 0 {
		bad(field, fmt.Errorf("%w: must be greater than 0", ErrOutOfRange))
	}
}

// validateServer checks the settings of the process itself: database,
// listen, base_url and log_level.
func (c *Config) validateServer(bad func(string, error)) {
	if strings.TrimSpace(c.Database) == "" {
		bad("database", ErrRequired)
	}
	if !hostPort(c.Listen) {
		bad("listen", fmt.Errorf("%w: %q", ErrInvalidAddr, c.Listen))
	}
	if c.BaseURL != "" && !httpURL(c.BaseURL) {
		bad("base_url", fmt.Errorf("%w: %q", ErrInvalidURL, c.BaseURL))
	}
	switch strings.ToLower(c.LogLevel) {
	case "trace", "debug", "info", "warn", "error":
	default:
		bad("log_level", fmt.Errorf("%w %q (want debug, info, warn or error)", ErrInvalidLevel, c.LogLevel))
	}
}

// validateFetch checks the fetch section.
func (c *Config) validateFetch(bad func(string, error)) {
	fe := c.Fetch
	positive(bad, "fetch.interval", fe.Interval)
	positive(bad, "fetch.min_interval", fe.MinInterval)
	positive(bad, "fetch.max_interval", fe.MaxInterval)
	positive(bad, "fetch.timeout", fe.Timeout)
	if fe.MaxInterval.Duration < fe.MinInterval.Duration {
		bad("fetch.max_interval", fmt.Errorf("%w: less than fetch.min_interval", ErrOutOfRange))
	}
	if fe.MaxBodySize <= 0 {
		bad("fetch.max_body_size", fmt.Errorf("%w: must be greater than 0", ErrOutOfRange))
	}
	if fe.Workers < 1 || fe.Workers > 1024 {
		bad("fetch.workers", fmt.Errorf("%w: want 1 to 1024", ErrOutOfRange))
	}
	if fe.PerHost < 1 {
		bad("fetch.per_host", fmt.Errorf("%w: want at least 1", ErrOutOfRange))
	}
	if fe.Proxy != "" {
		if u, err := url.Parse(fe.Proxy); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5") {
			bad("fetch.proxy", fmt.Errorf("%w: %q (want http://, https:// or socks5://host:port)", ErrInvalidURL, feeds.RedactURL(fe.Proxy)))
		}
	}
	if fe.MaxItems < 1 || fe.MaxItems > 100000 {
		bad("fetch.max_items", fmt.Errorf("%w: want 1 to 100000", ErrOutOfRange))
	}
	if fe.Jitter < 0 || fe.Jitter >= 1 {
		bad("fetch.jitter", fmt.Errorf("%w: want 0 to 0.99", ErrOutOfRange))
	}
}

// validatePublish checks the publish section.
func (c *Config) validatePublish(bad func(string, error)) {
	p := c.Publish
	positive(bad, "publish.max_age", p.MaxAge)
	positive(bad, "publish.interval", p.Interval)
	if p.Hub != "" && !httpURL(p.Hub) {
		bad("publish.hub", fmt.Errorf("%w: %q", ErrInvalidURL, p.Hub))
	}
	if p.PageItems < 1 || p.PageItems > 1000 {
		bad("publish.page_items", fmt.Errorf("%w: want 1 to 1000", ErrOutOfRange))
	}
	if p.Items < 1 || p.Items > 10000 {
		bad("publish.items", fmt.Errorf("%w: want 1 to 10000", ErrOutOfRange))
	}
}

// validateSources checks that there are sources, each with a name and an
// http(s) URL that no other source has (the same feeds.SourceKey).
func (c *Config) validateSources(bad func(string, error)) {
	if len(c.Sources) == 0 {
		bad("sources", ErrRequired)
	}
	names := map[string]int{}
	urls := map[string]int{}
	for i, s := range c.Sources {
		p := fmt.Sprintf("sources[%d]", i)
		if strings.TrimSpace(s.Name) == "" {
			bad(p+".name", ErrRequired)
		} else if j, dup := names[s.Name]; dup {
			bad(p+".name", fmt.Errorf("%w: %q is also sources[%d]", ErrDuplicate, s.Name, j))
		} else {
			names[s.Name] = i
		}
		switch {
		case strings.TrimSpace(s.URL) == "":
			bad(p+".url", ErrRequired)
		case !httpURL(s.URL):
			bad(p+".url", fmt.Errorf("%w: %q", ErrInvalidURL, s.URL))
		default:
			k := feeds.SourceKey(s.URL)
			if j, dup := urls[k]; dup {
				bad(p+".url", fmt.Errorf("%w: %q is also sources[%d]", ErrDuplicate, s.URL, j))
			} else {
				urls[k] = i
			}
		}
	}
}

// validateSections checks the sections' ids and titles, then compiles the
// rules, reporting each RuleError at its path.
func (c *Config) validateSections(bad func(string, error)) {
	for i, s := range c.Sections {
		if reservedView[s.ID] || strings.ContainsAny(s.ID, `/\?#% `) {
			bad(fmt.Sprintf("sections[%d].id", i), fmt.Errorf("%w: %q is reserved or holds a character unfit for a URL", ErrInvalidID, s.ID))
		}
		if strings.TrimSpace(s.Title) == "" {
			bad(fmt.Sprintf("sections[%d].title", i), ErrRequired)
		}
	}
	if _, err := c.Ruleset(); err != nil {
		for _, e := range unjoin(err) {
			var re *curator.RuleError
			if errors.As(e, &re) {
				bad(re.Path, re.Err)
			} else {
				bad("sections", e)
			}
		}
	}
}

// Ruleset compiles the sections' rules.
func (c *Config) Ruleset() (*curator.Ruleset, error) {
	opts := curator.Options{Fallback: c.Curator.Fallback, Threshold: c.Curator.Threshold, Exclude: c.Curator.Exclude,
		ReviewMargin: c.Curator.ReviewMargin}
	for _, s := range c.Sources {
		opts.Sources = append(opts.Sources, curator.SourceOptions{Name: s.Name, Section: s.Section, Bias: s.Bias})
	}
	return curator.Compile(c.Sections, opts)
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// httpURL reports whether s is an absolute http(s) URL with a host and, if
// it names one, a port from 1 to 65535.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return false
	}
	return u.Port() == "" || validPort(u.Port())
}

// hostPort reports whether s is a host:port address with a port from 0
// (any free port) to 65535.
func hostPort(s string) bool {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

var pathPart = regexp.MustCompile(`^([a-z_]+)(?:\[(\d+)\])?$`)

// line finds the line of a field path such as "sources[2].url" in the parsed
// document; for a field that is absent, the line of its nearest parent.
func (c *Config) line(path string) int {
	if c.root == nil || len(c.root.Content) == 0 {
		return 0
	}
	n := c.root.Content[0]
	line := n.Line
	for _, part := range strings.Split(path, ".") {
		m := pathPart.FindStringSubmatch(part)
		if m == nil || n.Kind != yaml.MappingNode {
			return line
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == m[1] {
				next = n.Content[i+1]
				line = n.Content[i].Line
				break
			}
		}
		if next == nil {
			return line
		}
		n = next
		if m[2] != "" {
			idx, _ := strconv.Atoi(m[2])
			if n.Kind != yaml.SequenceNode || idx >= len(n.Content) {
				return line
			}
			n = n.Content[idx]
			line = n.Line
		}
	}
	return line
}
