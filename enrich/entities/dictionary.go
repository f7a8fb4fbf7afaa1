package entities

import (
	"slices"
	"strings"
)

// variant is one alias variant as a token sequence, for matching in text.
type variant struct {
	tokens []string // aliasKey of each token
	entry  *Alias
	// short all-capital variants ("IS", "US", "WHO") are words in a line
	// written in capitals and are not matched there.
	shortCaps bool
}

// dictionary finds alias variants in tokenized text.
type dictionary struct {
	byFirst map[string][]variant
}

func newDictionary(t *aliasTable) *dictionary {
	d := &dictionary{byFirst: make(map[string][]variant)}
	for _, key := range sortedStrings(t.byKey) {
		e := t.byKey[key]
		var toks []string
		for _, tok := range Tokenize(key) {
			toks = append(toks, aliasKey(key[tok.Start:tok.End]))
		}
		if len(toks) == 0 {
			continue
		}
		v := variant{tokens: toks, entry: e, shortCaps: len(toks) == 1 && len(toks[0]) <= 4 && strings.ToUpper(toks[0]) == toks[0]}
		d.byFirst[toks[0]] = append(d.byFirst[toks[0]], v)
	}
	for k, vs := range d.byFirst {
		// Longest variants first, so the longest match wins.
		slices.SortStableFunc(vs, func(a, b variant) int { return len(b.tokens) - len(a.tokens) })
		d.byFirst[k] = vs
	}
	return d
}

// tokenKey is the alias key of a token, without allocating for tokens
// that need no normalization.
func tokenKey(s string) string {
	if strings.ContainsAny(s, ".\u2019") {
		return aliasKey(s)
	}
	return s
}

// find returns the spans of alias variants in d, longest match first at
// each position, not overlapping.
func (dict *dictionary) find(d *document) []Mention {
	var out []Mention
	for _, s := range d.sents {
		for i := s[0]; i < s[1]; i++ {
			vs := dict.byFirst[tokenKey(d.text[d.toks[i].Start:d.toks[i].End])]
			if vs == nil {
				continue
			}
			for _, v := range vs {
				n := len(v.tokens)
				if i+n > s[1] || (v.shortCaps && d.info[i].capsLine) {
					continue
				}
				ok := true
				for k := 1; k < n && ok; k++ {
					tok := d.toks[i+k]
					ok = tokenKey(d.text[tok.Start:tok.End]) == v.tokens[k]
				}
				if ok {
					out = append(out, Mention{Type: v.entry.Type, Start: d.toks[i].Start, End: d.toks[i+n-1].End})
					i += n - 1
					break
				}
			}
		}
	}
	return out
}

// reconcile merges dictionary matches into the tagger's mentions: a match
// that is exactly a mention sets its type, a match over no mention is
// added, a match covering mentions replaces them, and a match inside a
// longer mention leaves it as it is. Both inputs are sorted by Start.
func reconcile(tagged, dict []Mention) []Mention {
	if len(dict) == 0 {
		return tagged
	}
	out := make([]Mention, 0, len(tagged)+len(dict))
	i := 0
	for _, m := range dict {
		if n := len(out); n > 0 && out[n-1].End > m.Start {
			continue // inside a mention already kept
		}
		// Mentions that end before the match stay.
		for i < len(tagged) && tagged[i].End <= m.Start {
			out = append(out, tagged[i])
			i++
		}
		inside := false
		j := i
		for j < len(tagged) && tagged[j].Start < m.End {
			t := tagged[j]
			if t.Start <= m.Start && t.End >= m.End && (t.Start != m.Start || t.End != m.End) {
				inside = true
			}
			if t.Start < m.Start || t.End > m.End {
				// A mention crossing the match's edge wins over the match.
				inside = true
			}
			j++
		}
		if inside {
			out = append(out, tagged[i:j]...)
		} else {
			out = append(out, m)
		}
		i = j
	}
	return append(out, tagged[i:]...)
}

func sortedStrings[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
