package entities

import (
	"fmt"
	"slices"
	"strings"
)

// Counts are exact-match counts of predicted against gold spans.
type Counts struct {
	TP, FP, FN int
}

// Precision is TP / (TP + FP), 0 when nothing was predicted.
func (c Counts) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

// Recall is TP / (TP + FN), 0 when there is no gold span.
func (c Counts) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// F1 is the harmonic mean of precision and recall.
func (c Counts) F1() float64 {
	p, r := c.Precision(), c.Recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Scores are conlleval-style scores: a predicted span counts only when
// its start, end and type all match a gold span.
type Scores struct {
	ByType map[string]Counts
}

// Overall sums the counts of the given types (all types when none).
func (s Scores) Overall(types ...string) Counts {
	var c Counts
	for t, n := range s.ByType {
		if len(types) > 0 && !slices.Contains(types, t) {
			continue
		}
		c.TP += n.TP
		c.FP += n.FP
		c.FN += n.FN
	}
	return c
}

// Summary is a one-line report: F1 for PER+ORG+LOC and for all types.
func (s Scores) Summary() string {
	core, all := s.Overall("PER", "ORG", "LOC"), s.Overall()
	return fmt.Sprintf("F1 PER+ORG+LOC %.4f (P %.4f R %.4f), all %.4f", core.F1(), core.Precision(), core.Recall(), all.F1())
}

// Table reports precision, recall and F1 per type and overall.
func (s Scores) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-14s %9s %9s %9s %6s\n", "type", "precision", "recall", "F1", "gold")
	types := make([]string, 0, len(s.ByType))
	for t := range s.ByType {
		types = append(types, t)
	}
	slices.Sort(types)
	row := func(name string, c Counts) {
		fmt.Fprintf(&b, "%-14s %9.4f %9.4f %9.4f %6d\n", name, c.Precision(), c.Recall(), c.F1(), c.TP+c.FN)
	}
	for _, t := range types {
		row(t, s.ByType[t])
	}
	row("PER+ORG+LOC", s.Overall("PER", "ORG", "LOC"))
	row("all", s.Overall())
	return b.String()
}

// Evaluate tags every document's text with tag and scores the mentions
// against the gold spans.
func Evaluate(docs []Document, tag func(string) []Mention) Scores {
	s := Scores{ByType: make(map[string]Counts)}
	for _, d := range docs {
		gold := make(map[Span]bool, len(d.Gold))
		for _, g := range d.Gold {
			gold[g] = true
			c := s.ByType[g.Type]
			c.FN++
			s.ByType[g.Type] = c
		}
		for _, m := range tag(d.Text) {
			sp := Span(m)
			c := s.ByType[m.Type]
			if gold[sp] {
				c.TP++
				c.FN--
				delete(gold, sp)
			} else {
				c.FP++
			}
			s.ByType[m.Type] = c
		}
	}
	return s
}
