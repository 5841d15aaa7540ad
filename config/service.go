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
