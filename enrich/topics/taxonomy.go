// Package topics tags articles with the topics of a taxonomy an analyst
// can read and edit: weighted words and phrases matched on word
// boundaries, conditions on nearby words, required and excluded terms, and
// boosts from the article's countries and entities, summed into a score
// that must reach the topic's threshold. Every tag carries the matches that
// made it, with byte offsets.
package topics

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Taxonomy is a versioned set of topics.
type Taxonomy struct {
	Version string  `yaml:"version"`
	Topics  []Topic `yaml:"topics"`
}

// Topic is one taxonomy entry: what it means, the evidence that counts for
// and against it, and the score that tags an article with it.
type Topic struct {
	ID         string `yaml:"id"`
	Label      string `yaml:"label"`
	Definition string `yaml:"definition"`
	// Threshold is the score an article must reach.
	Threshold float64 `yaml:"threshold"`
	// MinTerms is how many different positive terms must match (default 1),
	// so that one word repeated does not make a topic.
	MinTerms int `yaml:"min_terms,omitempty"`
	// Require lists patterns of which at least one must occur in the
	// article; without one the topic is not tagged whatever its score.
	Require []string `yaml:"require,omitempty"`
	// Exclude lists patterns that veto the topic when they occur in the
	// title or the lead (the first sentence of the body).
	Exclude []string `yaml:"exclude,omitempty"`
	Terms   []Term   `yaml:"terms"`
	// Countries adds weight when the article's countries (from the places
	// tagger) include an ISO 3166-1 alpha-2 code, and only when the text
	// already has evidence for the topic.
	Countries map[string]float64 `yaml:"countries,omitempty"`
	// Entities adds weight for each named entity of the article whose
	// canonical name or id is listed, again only on top of text evidence.
	Entities []EntityCondition `yaml:"entities,omitempty"`
}

// Term is a word or phrase and its weight. A trailing "*" on a word
// matches any ending ("refugee*" matches "refugees"). A negative weight
// counts against the topic.
type Term struct {
	Term   string  `yaml:"term"`
	Weight float64 `yaml:"weight"`
	// Near makes the term count only when one of these patterns occurs
	// within Within words of it in the same sentence ("attack*" near
	// "chemical", "sarin").
	Near []string `yaml:"near,omitempty"`
	// Unless makes the term not count when one of these patterns occurs
	// within Within words of it in the same sentence ("aid" unless
	// "military", "hearing").
	Unless []string `yaml:"unless,omitempty"`
	// Within is the distance in words for Near and Unless (default 6).
	Within int `yaml:"within,omitempty"`
}

// EntityCondition names an entity that adds weight to a topic.
type EntityCondition struct {
	Name   string  `yaml:"name"`
	Weight float64 `yaml:"weight"`
}

// defaultWithin is the proximity window when a term sets none.
const defaultWithin = 6

// maxWithin bounds a proximity window: beyond a sentence or two, nearness
// means nothing.
const maxWithin = 50

var (
	topicID     = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	countryCode = regexp.MustCompile(`^[A-Z]{2}$`)
	yamlLine    = regexp.MustCompile(`^line (\d+): `)
)

// Load reads and checks a taxonomy file. Errors name the file, the line and
// the topic.
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

// Parse parses and checks the YAML text of a taxonomy. Unknown keys,
// missing or duplicate ids, missing labels and definitions, terms without
// words, zero or non-finite weights, non-positive thresholds and bad
// country codes are errors of the form "line N: topic ID: what".
func Parse(b []byte) (*Taxonomy, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, err
	}
	if len(root.Content) == 0 {
		return nil, errors.New("the file is empty")
	}
	lines := topicLines(&root)

	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var t Taxonomy
	if err := dec.Decode(&t); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the file is empty")
		}
		var te *yaml.TypeError
		if errors.As(err, &te) {
			var errs []error
			for _, msg := range te.Errors {
				errs = append(errs, errors.New(lines.name(msg)))
			}
			return nil, errors.Join(errs...)
		}
		return nil, err
	}
	if err := t.check(lines); err != nil {
		return nil, err
	}
	return &t, nil
}

// check validates a decoded taxonomy; lines locates topics and terms in
// the source (zero lines when it was built in code).
func (t *Taxonomy) check(lines lineIndex) error {
	var errs []error
	if strings.TrimSpace(t.Version) == "" {
		errs = append(errs, errors.New("version is missing"))
	}
	if len(t.Topics) == 0 {
		errs = append(errs, errors.New("no topics"))
	}
	seen := map[string]bool{}
	for i, tp := range t.Topics {
		bad := func(line int, format string, args ...any) {
			where := fmt.Sprintf("topic %s", tp.ID)
			if tp.ID == "" {
				where = fmt.Sprintf("topics[%d]", i)
			}
			if line > 0 {
				where = fmt.Sprintf("line %d: %s", line, where)
			}
			errs = append(errs, fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...)))
		}
		line := lines.topic(i)
		if !topicID.MatchString(tp.ID) {
			bad(line, "id %q must be lower-case words joined by '-'", tp.ID)
		}
		if seen[tp.ID] {
			bad(line, "id %q is used twice", tp.ID)
		}
		seen[tp.ID] = true
		if strings.TrimSpace(tp.Label) == "" {
			bad(line, "label is missing")
		}
		if strings.TrimSpace(tp.Definition) == "" {
			bad(line, "definition is missing")
		}
		if !(tp.Threshold > 0) || math.IsInf(tp.Threshold, 0) {
			bad(line, "threshold must be a positive number, got %v", tp.Threshold)
		}
		if tp.MinTerms < 0 {
			bad(line, "min_terms must not be negative, got %d", tp.MinTerms)
		}
		if len(tp.Terms) == 0 {
			bad(line, "no terms")
		}
		for _, p := range tp.Require {
			if n := len(words(p)); n == 0 || n > maxPatternWords {
				bad(line, "require: %q must have 1 to %d words", p, maxPatternWords)
			}
		}
		for _, p := range tp.Exclude {
			if n := len(words(p)); n == 0 || n > maxPatternWords {
				bad(line, "exclude: %q must have 1 to %d words", p, maxPatternWords)
			}
		}
		positive := 0
		for j, term := range tp.Terms {
			tl := lines.term(i, j)
			if tl == 0 {
				tl = line
			}
			if n := len(words(term.Term)); n == 0 || n > maxPatternWords {
				bad(tl, "terms[%d]: %q must have 1 to %d words", j, term.Term, maxPatternWords)
			}
			if term.Weight == 0 || math.IsNaN(term.Weight) || math.IsInf(term.Weight, 0) {
				bad(tl, "terms[%d] (%q): weight is missing, zero or not a number", j, term.Term)
			}
			if term.Weight > 0 {
				positive++
			}
			if term.Within < 0 || term.Within > maxWithin {
				bad(tl, "terms[%d] (%q): within must be between 1 and %d words, got %d", j, term.Term, maxWithin, term.Within)
			}
			for _, p := range append(append([]string(nil), term.Near...), term.Unless...) {
				if n := len(words(p)); n == 0 || n > maxPatternWords {
					bad(tl, "terms[%d] (%q): near/unless pattern %q must have 1 to %d words", j, term.Term, p, maxPatternWords)
				}
			}
		}
		if len(tp.Terms) > 0 && positive == 0 {
			bad(line, "no term has a positive weight")
		}
		if tp.MinTerms > positive && positive > 0 {
			bad(line, "min_terms %d is more than the %d positive terms", tp.MinTerms, positive)
		}
		for code, w := range tp.Countries {
			if !countryCode.MatchString(code) {
				bad(line, "countries: %q is not an ISO 3166-1 alpha-2 code in upper case", code)
			}
			if w == 0 || math.IsNaN(w) || math.IsInf(w, 0) {
				bad(line, "countries: %s: weight is missing, zero or not a number", code)
			}
		}
		for k, e := range tp.Entities {
			if strings.TrimSpace(e.Name) == "" {
				bad(line, "entities[%d]: name is missing", k)
			}
			if e.Weight == 0 || math.IsNaN(e.Weight) || math.IsInf(e.Weight, 0) {
				bad(line, "entities[%d] (%q): weight is missing, zero or not a number", k, e.Name)
			}
		}
	}
	return errors.Join(errs...)
}

// lineIndex holds the source lines of topics and their terms.
type lineIndex struct {
	topics []topicLine
}

type topicLine struct {
	id          string
	first, last int
	terms       []int
}

func (l lineIndex) topic(i int) int {
	if i < len(l.topics) {
		return l.topics[i].first
	}
	return 0
}

func (l lineIndex) term(i, j int) int {
	if i < len(l.topics) && j < len(l.topics[i].terms) {
		return l.topics[i].terms[j]
	}
	return 0
}

// name adds the topic to a YAML decoding message that starts with
// "line N: ".
func (l lineIndex) name(msg string) string {
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	n, _ := strconv.Atoi(m[1])
	for _, tp := range l.topics {
		if n >= tp.first && n <= tp.last && tp.id != "" {
			return fmt.Sprintf("line %d: topic %s: %s", n, tp.id, msg[len(m[0]):])
		}
	}
	return msg
}

// topicLines walks the document to find where each topic and term starts.
func topicLines(root *yaml.Node) lineIndex {
	var idx lineIndex
	doc := root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	seq := mapValue(doc, "topics")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return idx
	}
	for k, item := range seq.Content {
		tl := topicLine{first: item.Line, last: lastLine(item)}
		if k+1 < len(seq.Content) {
			tl.last = seq.Content[k+1].Line - 1
		}
		if id := mapValue(item, "id"); id != nil && id.Kind == yaml.ScalarNode {
			tl.id = id.Value
		}
		if terms := mapValue(item, "terms"); terms != nil && terms.Kind == yaml.SequenceNode {
			for _, term := range terms.Content {
				tl.terms = append(tl.terms, term.Line)
			}
		}
		idx.topics = append(idx.topics, tl)
	}
	return idx
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func lastLine(n *yaml.Node) int {
	last := n.Line
	for _, c := range n.Content {
		if l := lastLine(c); l > last {
			last = l
		}
	}
	return last
}
