// Package topics tags articles with the topics of a taxonomy: weighted
// terms and phrases, matched on word boundaries, summed into a score that
// must reach the topic's threshold. The rules live in a YAML file an
// analyst can read and edit.
package topics

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Taxonomy is a versioned set of topics.
type Taxonomy struct {
	Version string  `yaml:"version"`
	Topics  []Topic `yaml:"topics"`
}

// Topic is one taxonomy entry.
type Topic struct {
	ID         string  `yaml:"id"`
	Label      string  `yaml:"label"`
	Definition string  `yaml:"definition"`
	Threshold  float64 `yaml:"threshold"`
	Terms      []Term  `yaml:"terms"`
}

// Term is a word or phrase and its weight. A trailing "*" on a word
// matches any ending ("refugee*" matches "refugees"). A negative weight
// counts against the topic.
type Term struct {
	Term   string  `yaml:"term"`
	Weight float64 `yaml:"weight"`
}

var topicID = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Load reads and checks a taxonomy file.
func Load(path string) (*Taxonomy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading taxonomy: %w", err)
	}
	t, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("taxonomy %s: %w", path, err)
	}
	return t, nil
}

// Parse parses and checks the YAML text of a taxonomy: unknown keys,
// missing ids, duplicate ids, empty terms and non-positive thresholds are
// errors naming the topic.
func Parse(b []byte) (*Taxonomy, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var t Taxonomy
	if err := dec.Decode(&t); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the file is empty")
		}
		return nil, err
	}
	var errs []error
	if strings.TrimSpace(t.Version) == "" {
		errs = append(errs, errors.New("version is missing"))
	}
	if len(t.Topics) == 0 {
		errs = append(errs, errors.New("no topics"))
	}
	seen := map[string]bool{}
	for i, tp := range t.Topics {
		where := fmt.Sprintf("topics[%d] (%s)", i, tp.ID)
		if !topicID.MatchString(tp.ID) {
			errs = append(errs, fmt.Errorf("%s: id %q must be lower-case words joined by '-'", where, tp.ID))
		}
		if seen[tp.ID] {
			errs = append(errs, fmt.Errorf("%s: id %q is used twice", where, tp.ID))
		}
		seen[tp.ID] = true
		if tp.Threshold <= 0 {
			errs = append(errs, fmt.Errorf("%s: threshold must be positive, got %v", where, tp.Threshold))
		}
		if len(tp.Terms) == 0 {
			errs = append(errs, fmt.Errorf("%s: no terms", where))
		}
		for j, term := range tp.Terms {
			if len(words(term.Term)) == 0 {
				errs = append(errs, fmt.Errorf("%s: terms[%d]: %q has no words", where, j, term.Term))
			}
			if term.Weight == 0 {
				errs = append(errs, fmt.Errorf("%s: terms[%d] (%q): weight is missing or zero", where, j, term.Term))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &t, nil
}
