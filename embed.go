// Package feedcurator holds the files that are built into the binary: the
// example configuration, whose sections and rules are also the defaults of
// `feedcurator demo`.
package feedcurator

import _ "embed"

// ExampleConfig is config.example.yaml.
//
//go:embed config.example.yaml
var ExampleConfig []byte
