package config

import (
	"fmt"
	"regexp"
)

// Admin configures the endpoints that change state (POST /admin/...).
type Admin struct {
	// Token, when set, is required as "Authorization: Bearer TOKEN" on
	// admin endpoints; when empty they answer requests from loopback only.
	Token string `yaml:"token"`
}

// Desk configures the editor's desk at /desk/.
type Desk struct {
	// PasswordHash is the bcrypt hash of the editor's password, as
	// feedcurator desk passwd writes it; without one nobody can sign in.
	PasswordHash string `yaml:"password_hash"`
	// AllowRemote lets the desk answer from other addresses than loopback
	// and through a reverse proxy (which should speak https: the session
	// cookie is then Secure). Off by default, like the admin endpoints.
	AllowRemote bool `yaml:"allow_remote"`
}

// bcryptHash matches the hashes bcrypt writes: $2a$, $2b$ or $2y$, a two-digit
// cost, then 53 characters of salt and hash.
var bcryptHash = regexp.MustCompile(`^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$`)

// validateDesk checks the desk section.
func (c *Config) validateDesk(bad func(string, error)) {
	if h := c.Desk.PasswordHash; h != "" && !bcryptHash.MatchString(h) {
		bad("desk.password_hash", fmt.Errorf("%w: not a bcrypt hash (run feedcurator desk passwd)", ErrInvalidValue))
	}
}

// Retention bounds what the store keeps.
type Retention struct {
	MaxAge       Duration `yaml:"max_age"`        // items fetched longer ago are pruned; 0 keeps them
	MaxPerSource int      `yaml:"max_per_source"` // newest items kept per source; 0 keeps all
	Interval     Duration `yaml:"interval"`       // how often pruning runs
}

// Problem returns a *ValidationError for field, located at its line in the
// file: for checks that only the caller can make, such as whether the
// database's folder exists on this machine.
func (c *Config) Problem(field string, err error) error {
	return &ValidationError{File: c.file, Line: c.line(field), Field: field, Err: err}
}
