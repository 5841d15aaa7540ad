// Package logkey holds the field names used in feedcurator's structured logs,
// so that every component writes the same key for the same datum.
package logkey

// Field keys, snake_case.
const (
	Component  = "component"
	SourceID   = "source_id"
	SourceName = "source_name"
	SourceURL  = "source_url"
	Status     = "status"
	Elapsed    = "elapsed"
	Items      = "items"
	New        = "new"
	Updated    = "updated"
	Unchanged  = "unchanged"
	NextCheck  = "next_check"
	Errors     = "errors"
	ErrorCount = "error_count"
	ErrorKind  = "error_kind"
	RetryAfter = "retry_after"
	Location   = "location"
	Section    = "section"
	ItemID     = "item_id"
	RulesVer   = "rules_version"
	Changed    = "changed"
	Addr       = "addr"
	Path       = "path"
	Method     = "method"
	Config     = "config"
	Database   = "database"
	Sources    = "sources"
	Count      = "count"
	URL        = "url"
	Version    = "version"
	Field      = "field"
	Freed      = "freed_bytes"
	Week       = "week"
	Revision   = "revision"
	GCPercent  = "gc_percent"
)

// Keys of the daemon's own lines.
const (
	Previous = "previous"
	Remote   = "remote_addr"
	Setting  = "setting"
)
