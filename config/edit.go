package config

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/feedcurator/feedcurator/feeds"
)

// AddSources returns the configuration file data with the sources of add
// that it does not have yet (the same feeds.SourceKey) appended to its
// sources list, and the sources it added. The file is edited as text: every
// byte outside the insertion is kept, comments, blank lines and the layout
// of wrapped lists included. A name already taken gets " (2)", " (3)"… The
// data need not be a valid configuration (it may have no sources yet), but
// it must be a YAML mapping.
func AddSources(data []byte, add []Source) ([]byte, []Source, error) {
	root, err := mappingRoot(data)
	if err != nil {
		return nil, nil, err
	}
	key, list, next := sourcesKey(root)
	added := newSources(list, add)
	if len(added) == 0 {
		return data, nil, nil
	}
	switch {
	case list == nil:
		return appendSourcesKey(data, added), added, nil
	case list.Kind == yaml.SequenceNode && list.Style&yaml.FlowStyle == 0 && len(list.Content) > 0:
		return extendBlockList(splitLines(data), list, next, added), added, nil
	default:
		out, err := rewriteSourcesKey(splitLines(data), key, list, next, added)
		if err != nil {
			return nil, nil, err
		}
		return out, added, nil
	}
}

// mappingRoot returns the top-level mapping of the YAML document data, an
// empty one for an empty document.
func mappingRoot(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	switch {
	case len(doc.Content) == 0:
		return &yaml.Node{Kind: yaml.MappingNode}, nil
	case doc.Content[0].Kind == yaml.MappingNode:
		return doc.Content[0], nil
	default:
		return nil, errors.New("not a YAML mapping")
	}
}

// sourcesKey returns the sources key of root and its value, nil if there
// is none, and the line of the top-level key after it (0 for none).
func sourcesKey(root *yaml.Node) (key, list *yaml.Node, next int) {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if key != nil && next == 0 {
			next = root.Content[i].Line
		}
		if root.Content[i].Value == "sources" {
			key, list = root.Content[i], root.Content[i+1]
		}
	}
	return key, list, next
}

// newSources returns the sources of add whose URL list does not have yet,
// each named apart from the sources before it.
func newSources(list *yaml.Node, add []Source) []Source {
	have := map[string]bool{}
	names := map[string]bool{}
	if list != nil && list.Kind == yaml.SequenceNode {
		for _, n := range list.Content {
			var s Source
			if n.Decode(&s) == nil {
				have[feeds.SourceKey(s.URL)] = true
				names[s.Name] = true
			}
		}
	}
	var added []Source
	for _, s := range add {
		k := feeds.SourceKey(s.URL)
		if strings.TrimSpace(s.URL) == "" || have[k] {
			continue
		}
		have[k] = true
		name := strings.TrimSpace(s.Name)
		if name == "" {
			name = s.URL
		}
		for base, n := name, 2; names[name]; n++ {
			name = fmt.Sprintf("%s (%d)", base, n)
		}
		names[name] = true
		s.Name = name
		added = append(added, s)
	}
	return added
}

// appendSourcesKey returns data, which has no sources key, with a new
// sources block of added at its end.
func appendSourcesKey(data []byte, added []Source) []byte {
	var b bytes.Buffer
	b.Write(data)
	if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
		b.WriteByte('\n')
	}
	b.WriteString("sources:\n")
	writeEntries(&b, "  ", added, false)
	return b.Bytes()
}

// extendBlockList returns lines with added after the last line of the
// block list list, in the style (block or flow mappings) and indentation
// of its first entry; next is the line of the top-level key after it.
func extendBlockList(lines []string, list *yaml.Node, next int, added []Source) []byte {
	first := list.Content[0]
	lineText := lines[first.Line-1]
	dash := strings.IndexByte(lineText, '-')
	if dash < 0 {
		dash = max(first.Column-3, 0)
	}
	indent := lineText[:dash]
	end := lastLineOf(lines, first.Line, next, len(indent))
	var b bytes.Buffer
	for _, l := range lines[:end] {
		b.WriteString(l)
	}
	if end > 0 && !strings.HasSuffix(lines[end-1], "\n") {
		b.WriteByte('\n')
	}
	writeEntries(&b, indent, added, first.Style&yaml.FlowStyle != 0)
	for _, l := range lines[end:] {
		b.WriteString(l)
	}
	return b.Bytes()
}

// rewriteSourcesKey returns lines with the lines of key ("sources:" with
// nothing, null or a flow list) rewritten as a block list of the old and
// the added sources; next is the line of the top-level key after it.
func rewriteSourcesKey(lines []string, key, list *yaml.Node, next int, added []Source) ([]byte, error) {
	var old []Source
	if list.Kind == yaml.SequenceNode {
		if err := list.Decode(&old); err != nil {
			return nil, fmt.Errorf("line %d: sources: %w", key.Line, err)
		}
	}
	end := len(lines)
	if next > 0 {
		end = next - 1
	}
	// Keep trailing comments and blank lines before the next key.
	for end > key.Line && isBlankOrComment(lines[end-1]) {
		end--
	}
	var b bytes.Buffer
	for _, l := range lines[:key.Line-1] {
		b.WriteString(l)
	}
	b.WriteString(lines[key.Line-1][:key.Column-1] + "sources:\n")
	writeEntries(&b, "  ", append(old, added...), false)
	for _, l := range lines[end:] {
		b.WriteString(l)
	}
	return b.Bytes(), nil
}

// lastLineOf returns the number of lines up to and including the last line
// of the block list that starts at line first (1-based) and whose items'
// dashes are at column indent; next is the line of the next top-level key
// (0 for none). Comments and blank lines after the last entry stay after the
// insertion.
func lastLineOf(lines []string, first, next, indent int) int {
	limit := len(lines)
	if next > 0 {
		limit = next - 1
	}
	end := first
	for i := first; i < limit; i++ { // lines[i] is line i+1
		l := lines[i]
		if isBlankOrComment(l) {
			continue
		}
		if leading(l) < indent || (leading(l) == indent && !strings.HasPrefix(strings.TrimLeft(l, " "), "-")) {
			break
		}
		end = i + 1
	}
	return end
}

func leading(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }

func isBlankOrComment(l string) bool {
	t := strings.TrimSpace(l)
	return t == "" || strings.HasPrefix(t, "#")
}

// splitLines splits data after each newline, keeping the newlines.
func splitLines(data []byte) []string {
	var out []string
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			out = append(out, string(data))
			break
		}
		out = append(out, string(data[:i+1]))
		data = data[i+1:]
	}
	return out
}

// writeEntries writes sources as list entries at indent, as block mappings
// or, with flow, one flow mapping a line.
func writeEntries(b *bytes.Buffer, indent string, sources []Source, flow bool) {
	for _, s := range sources {
		fields := [][2]string{{"name", scalar(s.Name)}, {"url", scalar(s.URL)}}
		if s.Interval.Duration > 0 {
			fields = append(fields, [2]string{"interval", s.Interval.String()})
		}
		if s.Section != "" {
			fields = append(fields, [2]string{"section", scalar(s.Section)})
		}
		if len(s.Tags) > 0 {
			tags := make([]string, len(s.Tags))
			for i, t := range s.Tags {
				tags[i] = scalar(t)
			}
			fields = append(fields, [2]string{"tags", "[" + strings.Join(tags, ", ") + "]"})
		}
		if flow {
			parts := make([]string, len(fields))
			for i, f := range fields {
				parts[i] = f[0] + ": " + f[1]
			}
			b.WriteString(indent + "- {" + strings.Join(parts, ", ") + "}\n")
			continue
		}
		for i, f := range fields {
			lead := indent + "  "
			if i == 0 {
				lead = indent + "- "
			}
			b.WriteString(lead + f[0] + ": " + f[1] + "\n")
		}
	}
}

// scalar writes s as a YAML scalar that reads back as the string s, fit for
// a flow context too.
func scalar(s string) string {
	n := yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	out, err := yaml.Marshal(&n)
	plain := strings.TrimSuffix(string(out), "\n")
	if err != nil || strings.ContainsAny(plain, "\n") || (plain == s && strings.ContainsAny(s, "{}[],")) {
		return doubleQuoted(s)
	}
	return plain
}

func doubleQuoted(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// SetDeskPasswordHash returns the configuration file data with
// desk.password_hash set to hash, edited as text like AddSources: an
// existing password_hash line is replaced (its comment kept), else the key
// is added to the desk section, else a desk section is appended. A desk
// section written as a flow mapping ({...}) is refused: edit it by hand.
func SetDeskPasswordHash(data []byte, hash string) ([]byte, error) {
	root, err := mappingRoot(data)
	if err != nil {
		return nil, err
	}
	value := "password_hash: " + scalar(hash)
	lines := splitLines(data)
	var desk *yaml.Node
	deskLine := 0
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "desk" {
			deskLine, desk = root.Content[i].Line, root.Content[i+1]
		}
	}
	switch {
	case desk == nil:
		var b bytes.Buffer
		b.Write(data)
		if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
			b.WriteByte('\n')
		}
		b.WriteString("desk:\n  " + value + "\n")
		return b.Bytes(), nil
	case desk.Kind == yaml.ScalarNode && desk.Tag == "!!null":
		// "desk:", "desk: ~" or "desk: null": the key alone, then the value.
		head := "desk:"
		if c := desk.LineComment; c != "" && desk.Line == deskLine {
			head += " " + c
		}
		lines[deskLine-1] = head + "\n"
		return insertLine(lines, deskLine, "  "+value), nil
	case desk.Kind != yaml.MappingNode || desk.Style&yaml.FlowStyle != 0:
		return nil, fmt.Errorf("line %d: desk is not a block mapping; set desk.password_hash by hand", deskLine)
	}
	for i := 0; i+1 < len(desk.Content); i += 2 {
		k, v := desk.Content[i], desk.Content[i+1]
		if k.Value != "password_hash" {
			continue
		}
		if v.Kind != yaml.ScalarNode || v.Line != k.Line || strings.Contains(v.Value, "\n") {
			return nil, fmt.Errorf("line %d: desk.password_hash is not a one-line value; set it by hand", k.Line)
		}
		line := lines[k.Line-1]
		nl := ""
		if strings.HasSuffix(line, "\n") {
			nl = "\n"
		}
		out := line[:k.Column-1] + value
		if v.LineComment != "" {
			out += " " + v.LineComment
		}
		lines[k.Line-1] = out + nl
		return []byte(strings.Join(lines, "")), nil
	}
	if len(desk.Content) == 0 {
		return insertLine(lines, deskLine, "  "+value), nil
	}
	first := desk.Content[0]
	indent := lines[first.Line-1][:first.Column-1]
	return insertLine(lines, deskLine, indent+value), nil
}

// insertLine returns lines with text inserted as a line after line after
// (1-based), ending the line before it if it had no newline.
func insertLine(lines []string, after int, text string) []byte {
	var b bytes.Buffer
	for i, l := range lines {
		b.WriteString(l)
		if i+1 == after {
			if !strings.HasSuffix(l, "\n") {
				b.WriteByte('\n')
			}
			b.WriteString(text + "\n")
		}
	}
	return b.Bytes()
}
