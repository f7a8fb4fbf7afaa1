package entities

import (
	"math"
	"strings"
)

// Positions of a class within an entity, BILOU.
const (
	posB = iota
	posI
	posL
	posU
)

// labels maps classes to entity types and positions: class 0 is O, class
// 1+4t+p is position p of type t.
type labels struct {
	types []string
}

func (l labels) n() int { return 1 + 4*len(l.types) }

func classOf(typ, pos int) int { return 1 + 4*typ + pos }

// split returns the type and position of class c > 0.
func split(c int) (typ, pos int) { return (c - 1) / 4, (c - 1) % 4 }

// allowed reports whether class c may follow class prev; last marks the
// final token of a sentence, where no entity may stay open.
func allowed(prev, c int, last bool) bool {
	open := false
	var prevType int
	if prev > 0 {
		t, p := split(prev)
		open = p == posB || p == posI
		prevType = t
	}
	if c == 0 {
		return !open
	}
	t, p := split(c)
	if open {
		return t == prevType && (p == posL || (p == posI && !last))
	}
	return p == posU || (p == posB && !last)
}

// scorer gives the class scores of a feature set.
type scorer interface {
	score(feats []uint64, out []float32)
}

// prevFilter tells which words and shapes have weights paired with the
// previous class, so that the others need no lookups.
type prevFilter interface {
	hasPrevWord(lower uint64) bool
	hasPrevShape(short uint64) bool
}

// learner is a model in training: it is told which classes' weights to
// raise or lower for a feature set, and when a token has been seen.
type learner interface {
	add(feats []uint64, class int, delta float32)
	tick(tokens int)
}

// maxSentence is the longest stretch of tokens decoded as one sentence.
const maxSentence = 250

// document is a tokenized text prepared for tagging.
type document struct {
	text    string
	toks    []Token
	info    []tokInfo
	sents   [][2]int // token ranges of sentences
	feats   []uint64 // scratch
	history map[uint64][]uint16
	classes []int
	off     uint32 // feature groups left out
	lattice *viterbi
	// Scratch reused between texts.
	lowerSeen, capSeen map[uint64]bool
	buf                []byte
}

// prepare tokenizes text and computes the token-level and document-level
// facts the features need.
func prepare(text string, m *modelData) *document {
	d := new(document)
	d.reset(text, m)
	return d
}

// reset prepares d for text, reusing its memory.
func (d *document) reset(text string, m *modelData) {
	d.text = text
	d.off = 0
	if m != nil {
		d.off = m.off
	}
	d.toks = appendTokens(d.toks[:0], text)
	if cap(d.info) < len(d.toks) {
		d.info = make([]tokInfo, len(d.toks))
	} else {
		d.info = d.info[:len(d.toks)]
		clear(d.info)
	}
	d.sents = d.sents[:0]
	if d.lowerSeen == nil {
		d.lowerSeen, d.capSeen, d.history = map[uint64]bool{}, map[uint64]bool{}, map[uint64][]uint16{}
	}
	clear(d.lowerSeen)
	clear(d.capSeen)
	clear(d.history)
	lowerSeen, capSeen := d.lowerSeen, d.capSeen
	buf := d.buf
	start := 0
	for i, tok := range d.toks {
		// A text without sentence ends is cut every maxSentence tokens,
		// which bounds the lattice's memory.
		if (tok.SentenceStart && i > start) || i-start == maxSentence {
			d.sents = append(d.sents, [2]int{start, i})
			start = i
		}
		ti := &d.info[i]
		buf = analyzeToken(ti, text[tok.Start:tok.End], buf)
		ti.first = tok.SentenceStart
		if m != nil {
			ti.cluster = m.clusters[ti.lower]
		}
		ti.barrier = isBarrier(text[tok.Start:tok.End])
	}
	if start < len(d.toks) {
		d.sents = append(d.sents, [2]int{start, len(d.toks)})
	}
	// A headline in title case ("Kerry, Lavrov Meet On Syria Conflict")
	// says nothing by its capitals; the model reads it as the all-capitals
	// headlines it was trained on.
	for _, s := range d.sents {
		if !d.titleCase(s) {
			continue
		}
		for i := s[0]; i < s[1]; i++ {
			tok := d.toks[i]
			ti := &d.info[i]
			buf = analyzeToken(ti, strings.ToUpper(text[tok.Start:tok.End]), buf)
			if m != nil {
				ti.cluster = m.clusters[ti.lower]
			}
		}
	}
	for _, s := range d.sents {
		caps, lowers := 0, 0
		for i := s[0]; i < s[1]; i++ {
			f := d.info[i].flags
			if f&flagAllLower != 0 || (f&flagInitCap != 0 && f&flagAllCaps == 0) {
				lowers++
			} else if f&flagAllCaps != 0 {
				caps++
			}
		}
		capsLine := caps > 0 && lowers == 0
		for i := s[0]; i < s[1]; i++ {
			ti := &d.info[i]
			ti.capsLine = capsLine
			switch {
			case ti.flags&flagAllLower != 0:
				lowerSeen[ti.lower] = true
			case ti.capitalised && !ti.first && !capsLine:
				capSeen[ti.lower] = true
			}
		}
	}
	for i := range d.info {
		ti := &d.info[i]
		if ti.capitalised || ti.flags&flagAllCaps != 0 {
			ti.docLower = lowerSeen[ti.lower]
			ti.docCap = capSeen[ti.lower] && (ti.first || ti.capsLine)
		}
	}
	if m != nil {
		m.gazetteerFacts(d)
	}
	d.buf = buf
}

// decode assigns a class to every token: the best class sequence of
// each sentence (Viterbi, first order), with the classes of earlier
// sentences as document-level features. With a learner and gold classes
// it trains on the document: a structured perceptron update per sentence
// whose best sequence is not the gold one.
func (d *document) decode(s scorer, nclass, ntypes int, l learner, gold []int) []int {
	if cap(d.classes) < len(d.toks) {
		d.classes = make([]int, len(d.toks))
	}
	classes := d.classes[:len(d.toks)]
	clear(d.history)
	v := d.viterbi(nclass)
	for _, sent := range d.sents {
		n := sent[1] - sent[0]
		v.reset(n)
		// The previous-class features alone are the same for every token
		// of the sentence (the weights change between sentences while
		// training).
		for p := 0; p <= nclass; p++ {
			v.one[0] = mix(fPrev1, uint64(p))
			s.score(v.one[:], v.prev1[p*nclass:(p+1)*nclass])
		}
		for k := 0; k < n; k++ {
			i := sent[0] + k
			ti := &d.info[i]
			feats := d.tokenFeatures(i, sent)
			s.score(feats, v.emit[k*nclass:(k+1)*nclass])
			// Scores of the features that pair the previous class with
			// this token, for every previous class (0: sentence start).
			word, shape := d.off&groupPrevWord == 0, d.off&groupPrevWord == 0
			if f, ok := s.(prevFilter); ok && word {
				// Most words never had a weight paired with the previous
				// class: skip their lookups.
				word, shape = f.hasPrevWord(ti.lower), f.hasPrevShape(ti.short)
			}
			for p := 0; p <= nclass; p++ {
				row := v.trans[(k*(nclass+1)+p)*nclass : (k*(nclass+1)+p+1)*nclass]
				v.pf = v.pf[:0]
				if word {
					v.pf = append(v.pf, mix(mix(fPrevWord, uint64(p)), ti.lower))
				}
				if shape {
					v.pf = append(v.pf, mix(mix(fPrevShape, uint64(p)), ti.short))
				}
				s.score(v.pf, row)
				for c, w := range v.prev1[p*nclass : (p+1)*nclass] {
					row[c] += w
				}
			}
			last := k == n-1 || d.info[i+1].barrier
			v.step(k, last, ti.barrier)
		}
		pred := v.best(classes[sent[0]:sent[1]])
		if l != nil {
			d.learn(l, sent, pred, gold[sent[0]:sent[1]])
		}
		for i := sent[0]; i < sent[1]; i++ {
			d.remember(i, classes[i], ntypes)
		}
	}
	return classes
}

// learn updates l where pred, the best sequence of sent, differs from gold.
func (d *document) learn(l learner, sent [2]int, pred, gold []int) {
	var pf []uint64
	for k := range pred {
		pp, gp := 0, 0
		if k > 0 {
			pp, gp = pred[k-1]+1, gold[k-1]+1
		}
		if pred[k] == gold[k] && pp == gp {
			continue
		}
		i := sent[0] + k
		if pred[k] != gold[k] {
			feats := d.tokenFeatures(i, sent)
			l.add(feats, gold[k], 1)
			l.add(feats, pred[k], -1)
		}
		pf = prevFeatures(pf[:0], gp, &d.info[i], d.off)
		l.add(pf, gold[k], 1)
		pf = prevFeatures(pf[:0], pp, &d.info[i], d.off)
		l.add(pf, pred[k], -1)
	}
	l.tick(len(pred))
}

// tokenFeatures returns the features of token i that do not depend on
// the previous class; the slice is reused by the next call.
func (d *document) tokenFeatures(i int, sent [2]int) []uint64 {
	ti := &d.info[i]
	feats := staticFeatures(d.feats[:0], d.info, i, sent[0], sent[1], d.off)
	if d.off&groupHistory == 0 && (ti.capitalised || ti.flags&flagAllCaps != 0) {
		if h := d.history[ti.lower]; h != nil {
			for t, n := range h {
				if n > 0 {
					feats = append(feats, mix(fHistory, uint64(t)))
				}
			}
		} else {
			feats = append(feats, fHistoryNone)
		}
	}
	d.feats = feats
	return feats
}

// prevFeatures appends the features pairing previous class p (0 at the
// start of a sentence, else class+1) with the token.
func prevFeatures(dst []uint64, p int, ti *tokInfo, off uint32) []uint64 {
	dst = append(dst, mix(fPrev1, uint64(p)))
	if off&groupPrevWord == 0 {
		dst = prevWordFeatures(dst, p, ti)
	}
	return dst
}

// prevWordFeatures appends the features pairing previous class p with
// the token's word and shape.
func prevWordFeatures(dst []uint64, p int, ti *tokInfo) []uint64 {
	return append(dst, mix(mix(fPrevWord, uint64(p)), ti.lower), mix(mix(fPrevShape, uint64(p)), ti.short))
}

// remember records the class given to token i for the document-level
// features of later sentences.
func (d *document) remember(i, class, ntypes int) {
	ti := &d.info[i]
	if !ti.capitalised && ti.flags&flagAllCaps == 0 {
		return
	}
	h := d.history[ti.lower]
	if h == nil {
		h = make([]uint16, ntypes+1)
		d.history[ti.lower] = h
	}
	t := 0
	if class > 0 {
		t, _ = split(class)
		t++
	}
	h[t]++
}

// viterbi holds the lattice of one sentence.
type viterbi struct {
	nclass int
	emit   []float32 // [token][class]
	trans  []float32 // [token][prev+1][class]
	delta  []float32 // best score of a path ending in [token][class]
	back   []int32
	prev1  []float32 // [prev+1][class], the previous-class features alone
	pf     []uint64
	one    [1]uint64
}

// viterbi returns the document's lattice, sized for nclass classes.
func (d *document) viterbi(nclass int) *viterbi {
	if d.lattice == nil || d.lattice.nclass != nclass {
		d.lattice = &viterbi{nclass: nclass, prev1: make([]float32, (nclass+1)*nclass)}
	}
	return d.lattice
}

func (v *viterbi) reset(n int) {
	nc := v.nclass
	v.emit = grow(v.emit, n*nc)
	v.trans = grow(v.trans, n*(nc+1)*nc)
	v.delta = grow(v.delta, n*nc)
	if cap(v.back) < n*nc {
		v.back = make([]int32, n*nc)
	}
	v.back = v.back[:n*nc]
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

var negInf = float32(math.Inf(-1))

// step fills the lattice column of token k once its scores are in.
func (v *viterbi) step(k int, last, barrier bool) {
	nc := v.nclass
	for c := 0; c < nc; c++ {
		best, arg := negInf, int32(-1)
		if c == 0 || !barrier {
			if k == 0 {
				if allowed(0, c, last) {
					best, arg = v.emit[c]+v.trans[c], 0
				}
			} else {
				for p := 0; p < nc; p++ {
					prev := v.delta[(k-1)*nc+p]
					if prev == negInf || !allowed(p, c, last) {
						continue
					}
					sc := prev + v.trans[(k*(nc+1)+p+1)*nc+c]
					if arg < 0 || sc > best {
						best, arg = sc, int32(p)
					}
				}
				if arg >= 0 {
					best += v.emit[k*nc+c]
				}
			}
		}
		v.delta[k*nc+c] = best
		v.back[k*nc+c] = arg
	}
}

// best writes the best class sequence into out (len = sentence length).
func (v *viterbi) best(out []int) []int {
	n, nc := len(out), v.nclass
	c, best := 0, negInf
	for x := 0; x < nc; x++ {
		if sc := v.delta[(n-1)*nc+x]; sc > best || (x == 0 && best == negInf) {
			c, best = x, sc
		}
	}
	for k := n - 1; k >= 0; k-- {
		out[k] = c
		if k > 0 {
			c = int(v.back[k*nc+c])
			if c < 0 {
				c = 0
			}
		}
	}
	return out
}

// titleWords are words that sentence case writes in lower case and title
// case capitalises.
var titleWords = map[string]bool{
	"a": true, "an": true, "the": true, "and": true, "or": true, "but": true, "of": true, "in": true, "on": true,
	"at": true, "to": true, "for": true, "by": true, "with": true, "from": true, "as": true, "after": true,
	"over": true, "into": true, "amid": true, "against": true, "is": true, "are": true, "was": true, "were": true,
	"will": true, "be": true, "has": true, "have": true, "says": true, "said": true, "new": true, "up": true,
	"out": true, "not": true, "no": true, "his": true, "her": true, "its": true, "their": true, "he": true,
	"she": true, "they": true, "it": true, "we": true, "who": true, "how": true, "why": true, "what": true,
}

// titleCase reports whether sentence s is written in title case: at
// least four words, none starting in lower case (but for name
// particles), and at least one capitalised word that sentence case
// would write in lower case.
func (d *document) titleCase(s [2]int) bool {
	words, small := 0, 0
	for i := s[0]; i < s[1]; i++ {
		ti := &d.info[i]
		if ti.flags&flagPunct != 0 || ti.flags&flagAllDigits != 0 {
			continue
		}
		words++
		word := d.text[d.toks[i].Start:d.toks[i].End]
		switch {
		case ti.flags&flagAllLower != 0 && !nameParticles[word] && word != "'s":
			return false
		case ti.capitalised && ti.flags&flagAllCaps == 0 && titleWords[strings.ToLower(word)]:
			small++
		}
	}
	return words >= 4 && small > 0
}

// isBarrier reports whether tok is a bracket or quote, which no entity
// spans.
func isBarrier(tok string) bool {
	switch tok {
	case "(", ")", "[", "]", "{", "}", "\"", "\u201c", "\u201d", "\u00ab", "\u00bb", ";",
		"\u2018", "\u2018\u2018", "\u2019\u2019", "''", "``":
		return true
	}
	return false
}

// spans turns classes into entity spans.
func (d *document) spans(classes []int, types []string) []Mention {
	var out []Mention
	open := -1
	for i, c := range classes {
		if c == 0 {
			open = -1
			continue
		}
		t, p := split(c)
		switch p {
		case posB:
			open = i
		case posU:
			out = append(out, Mention{Type: types[t], Start: d.toks[i].Start, End: d.toks[i].End})
			open = -1
		case posL:
			if open >= 0 {
				out = append(out, Mention{Type: types[t], Start: d.toks[open].Start, End: d.toks[i].End})
			}
			open = -1
		}
	}
	return out
}
