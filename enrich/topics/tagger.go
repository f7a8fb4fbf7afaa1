package topics

import (
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/newsflow/newsflow/pkg/article"
)

// Scoring constants. A match in the title or the lead says more about what
// an article is about than one deep in the body, and the body's matches
// count less the longer it is, so a long article that names a topic in
// passing does not add up to it.
const (
	// titleBoost multiplies the weight of a match in the title.
	titleBoost = 2.0
	// leadBoost multiplies the weight of a match among the first leadWords
	// words of a body field.
	leadBoost = 1.5
	leadWords = 40
	// refWords is the body length up to which matches count in full; a
	// body of n > refWords words divides them by sqrt(n/refWords).
	refWords = 250
	// maxPatternWords bounds the words of a pattern, so proximity can
	// search a window of the text.
	maxPatternWords = 8
)

// Tagger matches a taxonomy against text. It is immutable and safe for
// concurrent use.
type Tagger struct {
	version string
	topics  []compiledTopic
	// pats holds every distinct pattern of the taxonomy (terms, near,
	// unless, require, exclude); first maps the first word of each to it,
	// so a text is scanned once for all topics.
	pats  [][]string
	first map[string][]int
	// prefix maps the first prefixKey bytes of the stem of patterns whose
	// first word ends in "*" (all of a shorter stem) to them.
	prefix map[string][]int
	// spans recycles the per-field tables of matches (*[][]span, one entry
	// per pattern), which would otherwise be most of what tagging
	// allocates.
	spans sync.Pool
}

// prefixKey is how many bytes of a prefix pattern's stem index it.
const prefixKey = 3

type compiledTopic struct {
	id        string
	threshold float64
	minTerms  int
	terms     []compiledTerm
	require   []int
	exclude   []int
	countries map[string]float64
	entities  map[string]entityWeight
}

type compiledTerm struct {
	text         string
	weight       float64
	pat          int
	near, unless []int
	within       int
}

type entityWeight struct {
	name   string
	weight float64
}

// New compiles a taxonomy. Terms without words (possible only in a
// taxonomy built in code, as Parse rejects them) are ignored.
func New(t *Taxonomy) *Tagger {
	tg := &Tagger{version: t.Version, first: map[string][]int{}, prefix: map[string][]int{}}
	ids := map[string]int{}
	intern := func(p string) int {
		ws := words(p)
		if len(ws) == 0 {
			return -1
		}
		key := strings.Join(ws, " ")
		if id, ok := ids[key]; ok {
			return id
		}
		id := len(tg.pats)
		ids[key] = id
		tg.pats = append(tg.pats, ws)
		if stem, ok := strings.CutSuffix(ws[0], "*"); ok {
			key := stem[:min(len(stem), prefixKey)]
			tg.prefix[key] = append(tg.prefix[key], id)
		} else {
			tg.first[ws[0]] = append(tg.first[ws[0]], id)
		}
		return id
	}
	internAll := func(ps []string) []int {
		var out []int
		for _, p := range ps {
			if id := intern(p); id >= 0 {
				out = append(out, id)
			}
		}
		return out
	}
	for _, tp := range t.Topics {
		ct := compiledTopic{
			id: tp.ID, threshold: tp.Threshold, minTerms: max(tp.MinTerms, 1),
			require: internAll(tp.Require), exclude: internAll(tp.Exclude),
			countries: map[string]float64{}, entities: map[string]entityWeight{},
		}
		for _, term := range tp.Terms {
			id := intern(term.Term)
			if id < 0 || term.Weight == 0 || math.IsNaN(term.Weight) {
				continue
			}
			within := term.Within
			if within <= 0 {
				within = defaultWithin
			}
			ct.terms = append(ct.terms, compiledTerm{
				text: term.Term, weight: term.Weight, pat: id,
				near: internAll(term.Near), unless: internAll(term.Unless), within: within,
			})
		}
		for code, w := range tp.Countries {
			ct.countries[strings.ToUpper(code)] = w
		}
		for _, e := range tp.Entities {
			ct.entities[strings.ToLower(strings.TrimSpace(e.Name))] = entityWeight{e.Name, e.Weight}
		}
		tg.topics = append(tg.topics, ct)
	}
	return tg
}

// Version is the taxonomy's version, part of the enrich version.
func (tg *Tagger) Version() string { return tg.version }

// Field is a named piece of text to tag: article.FieldTitle, or a body
// field (article.FieldSummary, article.FieldContent).
type Field struct {
	Name string
	Text string
}

// Context is what other taggers found in the article, for the taxonomy's
// country and entity conditions.
type Context struct {
	// Entities are the article's named entities with their mentions.
	Entities []article.Entity
	// Countries are ISO 3166-1 alpha-2 codes of the places the article is
	// about.
	Countries []string
}

// Tag returns the topics whose score reaches their threshold, highest
// score first, each with the matches that made its score. It is TagContext
// without entities or countries.
func (tg *Tagger) Tag(fields ...Field) []article.Topic {
	return tg.TagContext(Context{}, fields...)
}

// span is a pattern match: tokens [s, e) of one field.
type span struct{ s, e int }

// fieldMatches is one field's tokens and the matches of every pattern.
type fieldMatches struct {
	name string
	text string
	toks []token
	sent []int // sentence number of each token
	// byPat holds the matches of each pattern; touched lists the patterns
	// with any, so the table can be emptied for reuse.
	byPat   [][]span
	touched []int
	// scale is the weight of a match outside the title and lead.
	scale float64
}

// TagContext returns the topics whose score reaches their threshold,
// highest score first, each with its evidence: every term match with its
// field and byte offsets, and every entity mention that added weight.
//
// A term's matches count with diminishing weight, w·(1 + ln n) for n
// matches, w being the largest weight among them: twice the term's weight
// in the title, 1.5 times in the lead, and in the rest of a body field
// divided by sqrt(words/250) once it is longer than 250 words. A topic is
// tagged when its score reaches the threshold, at least min_terms
// different positive terms matched, one of its required patterns occurs
// and none of its excluded patterns occurs in the title or lead. Country
// and entity conditions add to a score only when the text already has
// evidence for the topic.
func (tg *Tagger) TagContext(c Context, fields ...Field) []article.Topic {
	fms := make([]fieldMatches, 0, len(fields))
	for _, f := range fields {
		fms = append(fms, tg.match(f))
	}
	defer func() {
		for k := range fms {
			tg.release(&fms[k])
		}
	}()
	countries := map[string]bool{}
	for _, code := range c.Countries {
		countries[strings.ToUpper(code)] = true
	}
	var out []article.Topic
	for i := range tg.topics {
		if t, ok := tg.score(&tg.topics[i], fms, c.Entities, countries); ok {
			out = append(out, t)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Score > out[b].Score })
	return out
}

// match tokenizes a field and finds every pattern in it.
func (tg *Tagger) match(f Field) fieldMatches {
	fm := fieldMatches{name: f.Name, text: f.Text, toks: tokenize(f.Text), scale: 1}
	if buf, ok := tg.spans.Get().(*[][]span); ok {
		fm.byPat = *buf
	} else {
		fm.byPat = make([][]span, len(tg.pats))
	}
	fm.sent = make([]int, len(fm.toks))
	for i, n := 0, 0; i < len(fm.toks); i++ {
		if fm.toks[i].afterBreak {
			n++
		}
		fm.sent[i] = n
	}
	if f.Name != article.FieldTitle && len(fm.toks) > refWords {
		fm.scale = 1 / math.Sqrt(float64(len(fm.toks))/refWords)
	}
	for i := range fm.toks {
		w := fm.toks[i].word
		fm.try(tg, i, tg.first[w])
		for n := 1; n <= min(len(w), prefixKey); n++ {
			fm.try(tg, i, tg.prefix[w[:n]])
		}
	}
	return fm
}

// try records the patterns among pats that match from token i.
func (fm *fieldMatches) try(tg *Tagger, i int, pats []int) {
	for _, p := range pats {
		if end, ok := matchAt(fm.toks, i, tg.pats[p]); ok {
			if len(fm.byPat[p]) == 0 {
				fm.touched = append(fm.touched, p)
			}
			fm.byPat[p] = append(fm.byPat[p], span{i, end})
		}
	}
}

// release empties a field's table of matches and returns it to the pool.
func (tg *Tagger) release(fm *fieldMatches) {
	for _, p := range fm.touched {
		fm.byPat[p] = fm.byPat[p][:0]
	}
	buf := fm.byPat
	fm.byPat = nil
	tg.spans.Put(&buf)
}

// boost is the weight multiplier of a match starting at token i.
func (fm *fieldMatches) boost(i int) float64 {
	switch {
	case fm.name == article.FieldTitle:
		return titleBoost
	case i < leadWords:
		return leadBoost
	default:
		return fm.scale
	}
}

// inLead reports whether a match starting at token i is in the title or
// the lead.
func (fm *fieldMatches) inLead(i int) bool {
	return fm.name == article.FieldTitle || i < leadWords
}

// near reports whether one of the patterns matches within w tokens of sp
// in the same sentence.
func (fm *fieldMatches) near(pats []int, sp span, w int) bool {
	for _, p := range pats {
		// Spans are in text order: start at the first that can be near, so
		// a text repeating one word costs n log n, not n².
		spans := fm.byPat[p]
		for k := sort.Search(len(spans), func(k int) bool { return spans[k].s > sp.s-w-maxPatternWords }); k < len(spans); k++ {
			o := spans[k]
			if o.s >= sp.e+w {
				break
			}
			if o.e > sp.s-w && o != sp && fm.sent[o.s] == fm.sent[sp.s] {
				return true
			}
		}
	}
	return false
}

func (tg *Tagger) score(tp *compiledTopic, fms []fieldMatches, entities []article.Entity, countries map[string]bool) (article.Topic, bool) {
	for _, p := range tp.exclude {
		for k := range fms {
			for _, sp := range fms[k].byPat[p] {
				if fms[k].inLead(sp.s) {
					return article.Topic{}, false
				}
			}
		}
	}
	required := len(tp.require) == 0
	for _, p := range tp.require {
		for k := range fms {
			if len(fms[k].byPat[p]) > 0 {
				required = true
			}
		}
	}
	if !required {
		return article.Topic{}, false
	}
	var (
		score    float64
		distinct int
		ev       []article.Evidence
	)
	for _, term := range tp.terms {
		n, top := 0, 0.0
		for k := range fms {
			fm := &fms[k]
			for _, sp := range fm.byPat[term.pat] {
				if len(term.near) > 0 && !fm.near(term.near, sp, term.within) {
					continue
				}
				if len(term.unless) > 0 && fm.near(term.unless, sp, term.within) {
					continue
				}
				w := term.weight * fm.boost(sp.s)
				n++
				if math.Abs(w) > math.Abs(top) {
					top = w
				}
				ev = append(ev, article.Evidence{
					Term: term.text, Weight: round(w), Field: fm.name,
					Start: fm.toks[sp.s].start, End: fm.toks[sp.e-1].end,
				})
			}
		}
		if n == 0 {
			continue
		}
		score += top * (1 + math.Log(float64(n)))
		if term.weight > 0 {
			distinct++
		}
	}
	if distinct < tp.minTerms || score <= 0 {
		return article.Topic{}, false
	}
	for code, w := range tp.countries {
		if countries[code] {
			score += w
		}
	}
	ev = append(ev, entityEvidence(tp, fms, entities, &score)...)
	if score < tp.threshold {
		return article.Topic{}, false
	}
	sort.SliceStable(ev, func(a, b int) bool {
		if ev[a].Field != ev[b].Field {
			return fieldRank(ev[a].Field) < fieldRank(ev[b].Field)
		}
		return ev[a].Start < ev[b].Start
	})
	return article.Topic{ID: tp.id, Score: round(score), Evidence: ev}, true
}

// entityEvidence adds the weight of the topic's entities found in the
// article to score and returns their mentions in the tagged fields.
func entityEvidence(tp *compiledTopic, fms []fieldMatches, entities []article.Entity, score *float64) []article.Evidence {
	if len(tp.entities) == 0 {
		return nil
	}
	var ev []article.Evidence
	for _, e := range entities {
		ew, ok := tp.entities[strings.ToLower(e.Name)]
		if !ok {
			ew, ok = tp.entities[strings.ToLower(e.ID)]
		}
		if !ok {
			continue
		}
		n := max(e.Count, len(e.Mentions), 1)
		*score += ew.weight * (1 + math.Log(float64(n)))
		for _, m := range e.Mentions {
			for k := range fms {
				if fms[k].name == m.Field && m.Start >= 0 && m.Start < m.End && m.End <= len(fms[k].text) {
					ev = append(ev, article.Evidence{Term: "entity:" + ew.name, Weight: ew.weight, Field: m.Field, Start: m.Start, End: m.End})
					break
				}
			}
		}
	}
	return ev
}

func fieldRank(f string) int {
	switch f {
	case article.FieldTitle:
		return 0
	case article.FieldSummary:
		return 1
	}
	return 2
}

func round(x float64) float64 { return math.Round(x*100) / 100 }

// matchAt reports whether pattern words match the tokens from i, and the
// index after the last matched token. A phrase does not run across a
// sentence or line break.
func matchAt(toks []token, i int, pattern []string) (int, bool) {
	if i+len(pattern) > len(toks) {
		return 0, false
	}
	for k, w := range pattern {
		t := toks[i+k].word
		if p, ok := strings.CutSuffix(w, "*"); ok {
			if !strings.HasPrefix(t, p) {
				return 0, false
			}
		} else if t != w {
			return 0, false
		}
		if k > 0 && toks[i+k].afterBreak {
			return 0, false
		}
	}
	return i + len(pattern), true
}
