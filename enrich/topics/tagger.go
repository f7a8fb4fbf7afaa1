package topics

import (
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/newsflow/newsflow/pkg/article"
)

// titleBoost multiplies the weight of a term found in the title: a
// headline says what the article is about.
const titleBoost = 2.0

// Tagger matches a taxonomy against text. It is immutable and safe for
// concurrent use.
type Tagger struct {
	version string
	topics  []compiledTopic
	// first maps the first word of every pattern to the patterns starting
	// with it, so a text is scanned once for all topics.
	first  map[string][]patternRef
	prefix []patternRef // patterns whose first word ends in "*"
}

type compiledTopic struct {
	id        string
	threshold float64
	terms     []Term
}

type patternRef struct {
	topic, term int
	words       []string
}

// New compiles a taxonomy.
func New(t *Taxonomy) *Tagger {
	tg := &Tagger{version: t.Version, first: map[string][]patternRef{}}
	for i, tp := range t.Topics {
		tg.topics = append(tg.topics, compiledTopic{id: tp.ID, threshold: tp.Threshold, terms: tp.Terms})
		for j, term := range tp.Terms {
			ws := words(term.Term)
			ref := patternRef{topic: i, term: j, words: ws}
			if strings.HasSuffix(ws[0], "*") {
				tg.prefix = append(tg.prefix, ref)
			} else {
				tg.first[ws[0]] = append(tg.first[ws[0]], ref)
			}
		}
	}
	return tg
}

// Version is the taxonomy's version, part of the enrich version.
func (tg *Tagger) Version() string { return tg.version }

// Field is a named piece of text to tag.
type Field struct {
	Name string
	Text string
}

// Tag returns the topics whose score reaches their threshold, highest
// score first, each with the matches that made its score. A term found
// several times counts with diminishing weight (1 + ln n), so repetition
// alone does not make a topic.
func (tg *Tagger) Tag(fields ...Field) []article.Topic {
	type hit struct {
		count    int
		weight   float64
		evidence []article.Evidence
	}
	hits := make([]map[int]*hit, len(tg.topics))
	for _, f := range fields {
		toks := tokenize(f.Text)
		boost := 1.0
		if f.Name == article.FieldTitle {
			boost = titleBoost
		}
		for i := range toks {
			try := func(ref patternRef) {
				end, ok := matchAt(toks, i, ref.words)
				if !ok {
					return
				}
				term := tg.topics[ref.topic].terms[ref.term]
				if hits[ref.topic] == nil {
					hits[ref.topic] = map[int]*hit{}
				}
				h := hits[ref.topic][ref.term]
				if h == nil {
					h = &hit{}
					hits[ref.topic][ref.term] = h
				}
				h.count++
				if w := term.Weight * boost; math.Abs(w) > math.Abs(h.weight) {
					h.weight = w
				}
				h.evidence = append(h.evidence, article.Evidence{
					Term: term.Term, Weight: term.Weight * boost, Field: f.Name,
					Start: toks[i].start, End: toks[end-1].end,
				})
			}
			for _, ref := range tg.first[toks[i].word] {
				try(ref)
			}
			for _, ref := range tg.prefix {
				try(ref)
			}
		}
	}
	var out []article.Topic
	for i, tp := range tg.topics {
		score := 0.0
		var ev []article.Evidence
		for _, h := range hits[i] {
			score += h.weight * (1 + math.Log(float64(h.count)))
			ev = append(ev, h.evidence...)
		}
		if score < tp.threshold {
			continue
		}
		sort.Slice(ev, func(a, b int) bool {
			if ev[a].Field != ev[b].Field {
				return ev[a].Field == article.FieldTitle
			}
			return ev[a].Start < ev[b].Start
		})
		out = append(out, article.Topic{ID: tp.id, Score: math.Round(score*100) / 100, Evidence: ev})
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Score > out[b].Score })
	return out
}

// matchAt reports whether pattern words match the tokens from i, and the
// index after the last matched token.
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
		// A phrase does not run across a sentence or paragraph break.
		if k > 0 && toks[i+k].afterBreak {
			return 0, false
		}
	}
	return i + len(pattern), true
}

type token struct {
	word       string // lower case
	start, end int    // byte offsets
	afterBreak bool   // a sentence or line break precedes it
}

// tokenize splits text into lower-cased words of letters and digits (with
// inner apostrophes and hyphens kept), with byte offsets.
func tokenize(text string) []token {
	var toks []token
	brk := false
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !isWordRune(r) {
			if r == '.' || r == '!' || r == '?' || r == '\n' || r == ';' || r == ':' {
				brk = true
			}
			i += size
			continue
		}
		start := i
		for i < len(text) {
			r, size = utf8.DecodeRuneInString(text[i:])
			if isWordRune(r) {
				i += size
				continue
			}
			// keep inner ' and - (al-Assad, Kurdistan's) when a letter follows
			if r == '\'' || r == '’' || r == '-' {
				if n, _ := utf8.DecodeRuneInString(text[i+size:]); i+size < len(text) && isWordRune(n) {
					i += size
					continue
				}
			}
			break
		}
		toks = append(toks, token{word: strings.ToLower(text[start:i]), start: start, end: i, afterBreak: brk})
		brk = false
	}
	return toks
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// words splits a taxonomy term into lower-case words; a word written with
// a trailing "*" keeps it, as a prefix pattern.
func words(term string) []string {
	var out []string
	for _, f := range strings.Fields(term) {
		base, star := strings.CutSuffix(f, "*")
		toks := tokenize(base)
		for _, t := range toks {
			out = append(out, t.word)
		}
		if star && len(toks) > 0 {
			out[len(out)-1] += "*"
		}
	}
	return out
}
