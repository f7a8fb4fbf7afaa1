package entities

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed aliases.yaml
var embeddedAliases []byte

// Alias is one entry of the alias file: a canonical name, its type and
// the variants that mean the same entity.
type Alias struct {
	Name    string   `yaml:"name"`
	Type    string   `yaml:"type"`
	Aliases []string `yaml:"aliases"`
}

// aliasTable maps a normalized variant to its entry.
type aliasTable struct {
	byKey map[string]*Alias
}

var entityTypeNames = []string{"PER", "ORG", "LOC", "MISC"}

// parseAliases reads the alias file: a YAML list of entries. An entry
// without a name, with an unknown type, or a variant claimed by two
// entries is an error naming the entry.
func parseAliases(data []byte) (*aliasTable, error) {
	var entries []Alias
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&entries); err != nil {
		return nil, fmt.Errorf("parsing aliases: %w", err)
	}
	t := &aliasTable{byKey: make(map[string]*Alias)}
	for i := range entries {
		e := &entries[i]
		if strings.TrimSpace(e.Name) == "" {
			return nil, fmt.Errorf("alias entry %d: no name", i+1)
		}
		if !slices.Contains(entityTypeNames, e.Type) {
			return nil, fmt.Errorf("alias entry %d (%s): type %q is not one of %v", i+1, e.Name, e.Type, entityTypeNames)
		}
		for _, v := range append([]string{e.Name}, e.Aliases...) {
			k := aliasKey(v)
			if k == "" {
				return nil, fmt.Errorf("alias entry %d (%s): empty variant", i+1, e.Name)
			}
			if prev, ok := t.byKey[k]; ok && prev != e {
				return nil, fmt.Errorf("alias entry %d (%s): variant %q already belongs to %s", i+1, e.Name, v, prev.Name)
			}
			t.byKey[k] = e
		}
	}
	if len(t.byKey) == 0 {
		return nil, errors.New("parsing aliases: no entries")
	}
	return t, nil
}

// lookup returns the entry a mention's text names, if any. Variants are
// matched exactly up to spacing and periods ("U.N." is "UN"), so that
// "IS" does not match "is".
func (t *aliasTable) lookup(text string) (*Alias, bool) {
	e, ok := t.byKey[aliasKey(text)]
	return e, ok
}

// aliasKey normalizes a name: periods dropped, runs of spaces and
// hyphens folded, typographic apostrophes made plain; case is kept.
func aliasKey(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r == '.':
			continue
		case r == '\u2019':
			r = '\''
		case r == ' ' || r == '\t' || r == '\n' || r == '\u00a0':
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
