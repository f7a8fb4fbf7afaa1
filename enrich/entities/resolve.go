package entities

import (
	"slices"
	"strings"
	"unicode"

	"github.com/newsflow/newsflow/pkg/article"
)

// mentionRef is a tagged mention with the field it is in.
type mentionRef struct {
	field   int // index into the fields given to Entities
	name    string
	m       Mention
	surface string
	key     string   // case-folded surface
	parts   []string // case-folded name parts, particles split off
}

// Entities tags every field and returns each entity of the article once:
// short forms resolve to a longer name of the article that ends with them
// ("Kerry" to "John Kerry", "Assad" to "Bashar al-Assad", and a short
// form typed otherwise becomes the person), acronyms defined in brackets
// to the name before them, variants of the alias file to their canonical
// name ("ISIS" to "Islamic State"); one entity per canonical name and
// type, so "Washington" the place and "Washington" the government stay
// apart.
// Entities are ordered by mention count, then by first mention; mentions
// by field, then offset. It does no I/O.
func (t *Tagger) Entities(fields ...Field) []article.Entity {
	// The fields are tagged as one document, so that the document-level
	// features carry what the body says into the title. The title comes
	// last: headlines are the hardest text and gain most from the rest.
	var (
		b      strings.Builder
		starts = make([]int, len(fields))
	)
	for k := len(fields) - 1; k >= 0; k-- {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		starts[k] = b.Len()
		b.WriteString(fields[k].Text)
	}
	var refs []*mentionRef
	for _, m := range t.Tag(b.String()) {
		fi := 0
		for fi < len(fields) && !(m.Start >= starts[fi] && m.End <= starts[fi]+len(fields[fi].Text)) {
			fi++
		}
		if fi == len(fields) {
			continue // spans two fields: cannot happen across the blank line
		}
		f := fields[fi]
		m.Start -= starts[fi]
		m.End -= starts[fi]
		surface := f.Text[m.Start:m.End]
		refs = append(refs, &mentionRef{field: fi, name: f.Name, m: m, surface: surface, key: foldName(surface), parts: nameParts(surface)})
	}
	slices.SortStableFunc(refs, func(a, b *mentionRef) int {
		if a.field != b.field {
			return a.field - b.field
		}
		return a.m.Start - b.m.Start
	})
	canon := make([]string, len(refs))
	types := make([]string, len(refs))
	aliased := make([]bool, len(refs))
	for i, r := range refs {
		canon[i], types[i] = r.surface, r.m.Type
		if a, ok := t.aliases.lookup(r.surface); ok {
			canon[i], types[i], aliased[i] = a.Name, a.Type, true
		}
	}
	// An acronym defined in brackets after a name ("World Food Programme
	// (WFP)") names the same entity wherever it appears in the article.
	acronyms := map[string]int{}
	for i := 1; i < len(refs); i++ {
		r, prev := refs[i], refs[i-1]
		if r.field != prev.field || !isAcronymOf(r.surface, prev.surface) {
			continue
		}
		between := fields[r.field].Text[prev.m.End:r.m.Start]
		after := fields[r.field].Text[r.m.End:]
		if strings.TrimSpace(between) == "(" && strings.HasPrefix(after, ")") {
			if _, ok := t.aliases.lookup(r.surface); !ok {
				acronyms[r.key] = i - 1
			}
		}
	}
	for i, r := range refs {
		if j, ok := acronyms[r.key]; ok {
			canon[i], types[i] = canon[j], types[j]
		}
	}
	// Short forms: the longest other name of the article whose parts end
	// with the mention's parts, when there is exactly one such name.
	// Candidates are found by their last part, each distinct name once.
	byLast := map[string][]*mentionRef{}
	seen := map[string]bool{}
	for i, o := range refs {
		if aliased[i] || len(o.parts) < 2 || seen[o.m.Type+o.key] {
			continue
		}
		seen[o.m.Type+o.key] = true
		last := o.parts[len(o.parts)-1]
		byLast[last] = append(byLast[last], o)
	}
	for i, r := range refs {
		if aliased[i] || len(r.parts) == 0 {
			continue
		}
		if _, ok := acronyms[r.key]; ok {
			continue
		}
		var long *mentionRef
		ambiguous := false
		for _, o := range byLast[r.parts[len(r.parts)-1]] {
			if len(o.parts) <= len(r.parts) || !compatible(r.m.Type, o.m.Type) || !hasSuffix(o.parts, r.parts) {
				continue
			}
			switch {
			case long == nil:
				long = o
			case long.key == o.key:
			case hasSuffix(o.parts, long.parts):
				long = o // "Bashar al-Assad" over "al-Assad"
			case hasSuffix(long.parts, o.parts):
			default:
				ambiguous = true
			}
		}
		if long != nil && !ambiguous {
			canon[i], types[i] = long.surface, long.m.Type
		}
	}
	// Group by type and the slug of the canonical name (case, spacing and
	// punctuation aside, as the id is made); the entity takes
	// the best-written form of its name.
	type group struct {
		refs  []int
		names map[string]int
	}
	var groups []*group
	byKey := map[string]*group{}
	for i := range refs {
		k := types[i] + ":" + slug(canon[i])
		g := byKey[k]
		if g == nil {
			g = &group{names: map[string]int{}}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.refs = append(g.refs, i)
		g.names[canon[i]]++
	}
	out := make([]article.Entity, 0, len(groups))
	for _, g := range groups {
		typ := types[g.refs[0]]
		name := argmax(g.names, func(a, b string) bool { return nameRank(a) > nameRank(b) || (nameRank(a) == nameRank(b) && a < b) })
		e := article.Entity{ID: strings.ToLower(typ) + ":" + slug(name), Type: typ, Name: name, Count: len(g.refs)}
		for _, i := range g.refs {
			e.Mentions = append(e.Mentions, article.Mention{Field: refs[i].name, Start: refs[i].m.Start, End: refs[i].m.End})
		}
		out = append(out, e)
	}
	// Groups are in order of first mention; the stable sort keeps it
	// among entities mentioned as often.
	slices.SortStableFunc(out, func(a, b article.Entity) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return 0
	})
	return out
}

// isAcronymOf reports whether acr, in capitals, is made of the initials
// of name's words, small words ("of", "for") optional.
func isAcronymOf(acr, name string) bool {
	if len(acr) < 2 || len(acr) > 8 || strings.ToUpper(acr) != acr || strings.ContainsAny(acr, " -") {
		return false
	}
	letters := strings.ReplaceAll(acr, ".", "")
	var initials, capitals []rune
	for _, w := range strings.FieldsFunc(name, func(r rune) bool { return r == ' ' || r == '-' }) {
		r := []rune(w)[0]
		initials = append(initials, unicode.ToUpper(r))
		if unicode.IsUpper(r) {
			capitals = append(capitals, r)
		}
	}
	return string(initials) == letters || string(capitals) == letters
}

// compatible reports whether a short mention of type short may name the
// entity of a longer mention of type long. Any short form may name a
// person ("Kerry" tagged as a place is still John Kerry); otherwise the
// types must agree.
func compatible(short, long string) bool {
	return short == long || long == "PER"
}

// hasSuffix reports whether parts ends with suffix.
func hasSuffix(parts, suffix []string) bool {
	if len(suffix) == 0 || len(suffix) > len(parts) {
		return false
	}
	return slices.Equal(parts[len(parts)-len(suffix):], suffix)
}

// nameParts splits a name into case-folded words, with a particle joined
// by a hyphen split off ("al-Assad" is "al", "assad"), so that "Assad"
// is a short form of "Bashar al-Assad"; the possessive is dropped.
func nameParts(s string) []string {
	var parts []string
	for _, tok := range Tokenize(s) {
		w := s[tok.Start:tok.End]
		if w == "'s" || w == "\u2019s" || (tok.End-tok.Start == 1 && !isWordRune(rune(w[0]))) {
			continue
		}
		w = foldName(w)
		if particleName(s[tok.Start:tok.End]) {
			h := strings.IndexByte(w, '-')
			parts = append(parts, w[:h], w[h+1:])
			continue
		}
		parts = append(parts, w)
	}
	return parts
}

// foldName folds case and periods: "U.S." and "US", "GENEVA" and
// "Geneva" are the same name.
func foldName(s string) string {
	return strings.ToLower(aliasKey(s))
}

// nameRank prefers the forms an editor would write: mixed case over all
// capitals, then longer over shorter.
func nameRank(s string) int {
	hasLower := strings.IndexFunc(s, unicode.IsLower) >= 0
	r := len(s)
	if hasLower {
		r += 1000
	}
	return r
}

// argmax returns the key with the highest count; less orders ties.
func argmax(counts map[string]int, less func(a, b string) bool) string {
	best, n := "", -1
	for k, c := range counts {
		if c > n || (c == n && less(k, best)) {
			best, n = k, c
		}
	}
	return best
}

// slug makes a stable id part of a name: lower case letters and digits,
// other runs as one hyphen ("Bashar al-Assad" is "bashar-al-assad").
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		case r == '\'' || r == '\u2019' || r == '.':
			// "Workers' Party", "U.S." keep their words together.
		default:
			dash = true
		}
	}
	return b.String()
}
