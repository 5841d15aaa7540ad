package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// readConns is the size of the read pool. Readers never block one another
// or the writer under WAL, so a handful covers the publisher's HTTP handlers
// and the curator without holding many file descriptors.
const readConns = 4

// busyTimeout is how long a connection waits for a lock held by another
// connection (or another process) before giving up with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

//go:embed migrations/*.sql
var migrationFiles embed.FS

// DB is feedcurator's SQLite store. It is safe for concurrent use.
type DB struct {
	path  string
	write *sql.DB // one connection: SQLite has one writer at a time anyway
	read  *sql.DB // query_only pool

	maxAge atomic.Int64 // retention horizon in nanoseconds; 0 keeps everything

	writer     *writer // batches SaveFetch calls; see writer.go
	saver      *saver  // SaveFetch's statements, prepared on the write connection
	writeStats writeStats
	versions   versionReads

	lockMu sync.Mutex
	lock   *os.File // the daemon lock (LockDaemon); nil when not held
}

// versionTTL is how long Version answers from memory when no commit of this
// process has changed the version since it last read it: another process's
// commits (the admin commands) show within this time.
const versionTTL = 250 * time.Millisecond

// cachedVersion is the last version read, with the count of this process's
// version-changing commits before that read began, and when it began.
type cachedVersion struct {
	v   int64
	gen uint64
	at  time.Time
}

// Open opens the database at path, creating the file (but not its folder) if
// needed, and brings its schema up to date.
func Open(ctx context.Context, path string) (*DB, error) {
	db, err := open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return db, nil
}

func open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("empty path")
	}
	// SQLite would create the file but reports a missing folder only as
	// "unable to open database file"; say which folder instead.
	if fi, err := os.Stat(filepath.Dir(path)); err != nil {
		return nil, err
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", filepath.Dir(path))
	}

	ms := strconv.FormatInt(busyTimeout.Milliseconds(), 10)
	// busy_timeout is applied first by the driver; the rest are per
	// connection except journal_mode, which is persistent in the file.
	write, err := sql.Open("sqlite", dsn(path,
		"_pragma=busy_timeout("+ms+")",
		// Incremental vacuum lets retention give pages back to the file
		// system without rewriting the database. The mode takes effect only
		// in a new file, so it must come before journal_mode writes one.
		"_pragma=auto_vacuum(INCREMENTAL)",
		"_pragma=journal_mode(WAL)",
		"_pragma=foreign_keys(1)",
		"_pragma=synchronous(NORMAL)",
		// Take the write lock at BEGIN: a deferred transaction that reads
		// first and then tries to write can fail with SQLITE_BUSY at once,
		// without waiting, if another process wrote in between.
		"_txlock=immediate",
	))
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	db := &DB{path: path, write: write}
	if err := db.migrate(ctx); err != nil {
		write.Close()
		if why := notWritable(path); why != "" {
			return nil, fmt.Errorf("%s: %w", why, err)
		}
		return nil, err
	}

	// The read pool is opened after the migrations, so it never sees a
	// half-built schema and the file is already in WAL mode.
	read, err := sql.Open("sqlite", dsn(path,
		"_pragma=busy_timeout("+ms+")",
		"_pragma=foreign_keys(1)",
		"_pragma=query_only(1)",
	))
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(readConns)
	read.SetMaxIdleConns(readConns)
	db.read = read
	if db.versions.stmt, err = read.PrepareContext(ctx, "SELECT value FROM meta WHERE key = 'version'"); err != nil {
		read.Close()
		write.Close()
		return nil, err
	}
	if err := db.startWriter(ctx); err != nil {
		db.versions.stmt.Close()
		read.Close()
		write.Close()
		return nil, err
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// dsn builds a SQLite URI for path with the driver's parameters.
func dsn(path string, params ...string) string {
	// In a file: URI, '?' and '#' end the path and '%' starts an escape.
	p := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(filepath.Clean(path)))
	return "file:" + p + "?" + strings.Join(params, "&")
}

// Close closes the database. Call it last, after every component using the
// database has stopped.
func (db *DB) Close() error {
	var errs []error
	// Queued fetches are written before the connection closes.
	errs = append(errs, db.stopWriter())
	if db.versions.stmt != nil {
		errs = append(errs, db.versions.stmt.Close())
	}
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	// Let SQLite refresh its planner statistics where they are stale;
	// this is cheap and what the SQLite docs recommend before closing. It is
	// an optimisation: cut short (a loaded machine, a shutdown deadline), it
	// is done next time, and the close goes on.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := db.write.ExecContext(ctx, "PRAGMA optimize"); err != nil && ctx.Err() == nil {
		errs = append(errs, fmt.Errorf("optimize: %w", err))
	}
	errs = append(errs, db.write.Close())
	// Last: no other daemon starts on the database while this one writes.
	errs = append(errs, db.unlockDaemon())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close database %s: %w", db.path, err)
	}
	return nil
}

// Path returns the path the database was opened with.
func (db *DB) Path() string { return db.path }

// Ping checks that the database answers a query on the read pool.
func (db *DB) Ping(ctx context.Context) error {
	var n int
	if err := db.read.QueryRowContext(ctx, "SELECT count(*) FROM meta").Scan(&n); err != nil {
		return fmt.Errorf("ping database %s: %w", db.path, err)
	}
	return nil
}

// migration is one embedded schema change, migrations/NNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in order, checking that their
// numbers run 1, 2, 3... with no gap or repeat.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	ms := make([]migration, 0, len(names))
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name is not NNN_name.sql", base)
		}
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected number %d", m.name, i+1)
		}
	}
	return ms, nil
}

// migrate applies the migrations newer than the file's user_version, each
// in its own transaction together with the new user_version, so a failed
// migration leaves the schema as it was.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := db.applyMigration(ctx, m, len(ms)); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	// Migrations that rebuild a table leave its old pages free: give them
	// back to the file system.
	if _, err := db.write.ExecContext(ctx, "PRAGMA incremental_vacuum"); err != nil {
		return fmt.Errorf("vacuum after migrations: %w", err)
	}
	return nil
}

func (db *DB) applyMigration(ctx context.Context, m migration, latest int) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	// Read the version inside the (immediate) transaction, so two
	// processes opening the same new file cannot both apply a migration.
	var current int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return err
	}
	if current > latest {
		return fmt.Errorf("database schema version %d is newer than this program's %d", current, latest)
	}
	if current >= m.version {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	// PRAGMA takes no bound parameters; the version is an int we parsed.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
		return err
	}
	return tx.Commit()
}

// bumpVersion increments the counter Version reads, inside tx.
func bumpVersion(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, "UPDATE meta SET value = value + 1 WHERE key = 'version'"); err != nil {
		return fmt.Errorf("bump version: %w", err)
	}
	return nil
}

// Version returns a counter that changes whenever what the publisher serves
// may have changed: new or edited items, new classifications, source
// changes. It reflects every commit of this process that had completed when
// it was called, and another process's commits within versionTTL. It is
// cheap enough to call per request.
//
// The publisher calls it on every request. While no commit of this process
// has changed the version, calls within versionTTL of the last read answer
// from memory. Otherwise concurrent calls share their reads: a call waits for
// the next read that starts after it arrived, and takes that read's value.
func (db *DB) Version(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("read version: %w", err)
	}
	vr := &db.versions
	gen, now := vr.gen.Load(), time.Now()
	if c := vr.cached.Load(); c != nil && c.gen == gen && now.Sub(c.at) < versionTTL && now.After(c.at) {
		return c.v, nil
	}
	vr.mu.Lock()
	r := vr.next
	if r == nil {
		r = &versionRead{done: make(chan struct{})}
		vr.next = r
	}
	if !vr.reading {
		vr.reading, vr.next = true, nil
		go db.readVersions(r)
	}
	vr.mu.Unlock()
	select {
	case <-r.done:
		if r.err != nil {
			return 0, fmt.Errorf("read version: %w", r.err)
		}
		// The read began after this call arrived, so it saw every commit
		// noted up to gen; a later commit changes gen and so the cache.
		if c := vr.cached.Load(); c == nil || c.at.Before(now) {
			vr.cached.Store(&cachedVersion{v: r.v, gen: gen, at: now})
		}
		return r.v, nil
	case <-ctx.Done():
		return 0, fmt.Errorf("read version: %w", ctx.Err())
	}
}

// commit commits a write transaction that may have changed the version,
// then tells Version to read it again. A failed commit may have changed
// nothing, but reading once more costs one query.
func (db *DB) commit(tx *sql.Tx) error {
	err := tx.Commit()
	db.versions.gen.Add(1)
	return err
}

// versionReads coalesces Version calls: see Version.
type versionReads struct {
	mu      sync.Mutex
	reading bool         // a read is under way
	next    *versionRead // the read to start after it, which new calls join
	stmt    *sql.Stmt

	gen    atomic.Uint64                 // version-changing commits of this process
	cached atomic.Pointer[cachedVersion] // the last read
}

// versionRead is one read of the version, shared by the calls that wait
// for it.
type versionRead struct {
	done chan struct{} // closed when v and err are set
	v    int64
	err  error
}

// readVersions performs r, then the reads that calls queued meanwhile, one
// after another, until none is waiting.
func (db *DB) readVersions(r *versionRead) {
	vr := &db.versions
	for r != nil {
		ctx, cancel := context.WithTimeout(context.Background(), busyTimeout)
		r.err = vr.stmt.QueryRowContext(ctx).Scan(&r.v)
		cancel()
		close(r.done)
		vr.mu.Lock()
		r, vr.next = vr.next, nil
		vr.reading = r != nil
		vr.mu.Unlock()
	}
}

// Helpers shared by source.go and item.go.

// timeToDB maps a time to unix milliseconds, and the zero time to NULL.
func timeToDB(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// timeFromDB is the inverse of timeToDB; times come back in UTC.
func timeFromDB(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMilli(n.Int64).UTC()
}

// stringsToDB encodes a string list as a JSON array, never "null".
func stringsToDB(ss []string) string {
	if len(ss) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(ss) // a []string always marshals
	return string(b)
}

// stringsFromDB decodes a JSON array; an empty one comes back nil.
func stringsFromDB(s string) ([]string, error) {
	var ss []string
	if err := json.Unmarshal([]byte(s), &ss); err != nil {
		return nil, fmt.Errorf("decode %q: %w", s, err)
	}
	if len(ss) == 0 {
		return nil, nil
	}
	return ss, nil
}

// writeFailed adds to a failed write's error the reason the operating
// system gives for the database not being writable, if it gives one: SQLite
// reports a file system turned read-only only as "disk I/O error".
func (db *DB) writeFailed(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, ErrClosed) {
		return err
	}
	if why := notWritable(db.path); why != "" {
		return fmt.Errorf("%w (%s)", err, why)
	}
	return err
}
