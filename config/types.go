package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written as "90s", "30m", "6h" or "7d".
type Duration struct{ time.Duration }

// UnmarshalYAML parses a duration; zero and negative ones are rejected.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err == nil && v <= 0 {
		err = fmt.Errorf("must be greater than 0")
	}
	if n.Kind != yaml.ScalarNode || err != nil {
		if err == nil {
			err = fmt.Errorf("not a duration")
		}
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: invalid duration %q: %v (write e.g. 90s, 30m, 6h, 7d)", n.Line, n.Value, err)}}
	}
	d.Duration = v
	return nil
}

// MarshalYAML writes the duration back in its short form.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// ParseDuration is time.ParseDuration plus a "d" (24h) unit.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "d") {
		n, err := strconv.ParseFloat(strings.TrimSuffix(s, "d"), 64)
		if err != nil {
			return 0, fmt.Errorf("bad number of days")
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	return time.ParseDuration(s)
}

// ByteSize is a size written as a number of bytes or with a unit: 512KiB,
// 10MiB, 10MB.
type ByteSize int64

var sizeUnits = []struct {
	suffix string
	mult   int64
}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"B", 1}}

// UnmarshalYAML parses a size.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	s := strings.TrimSpace(n.Value)
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(s, u.suffix) {
			mult = u.mult
			s = strings.TrimSpace(strings.TrimSuffix(s, u.suffix))
			break
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if n.Kind != yaml.ScalarNode || err != nil || v <= 0 {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: invalid size %q (write e.g. 10MiB or 1048576)", n.Line, n.Value)}}
	}
	*b = ByteSize(v * mult)
	return nil
}
