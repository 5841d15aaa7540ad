// Package config reads and checks feedcurator's YAML configuration: the
// sources to poll, the sections and their rules, and the settings of each
// stage. Parse reports every problem at once, each naming the file, the line
// and the field, so that a broken file is fixed in one pass; a configuration
// that fails here is never used, at start-up or on reload.
package config
