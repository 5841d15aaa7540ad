package config

// Admin configures the endpoints that change state (POST /admin/...).
type Admin struct {
	// Token, when set, is required as "Authorization: Bearer TOKEN" on
	// admin endpoints; when empty they answer requests from loopback only.
	Token string `yaml:"token"`
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
