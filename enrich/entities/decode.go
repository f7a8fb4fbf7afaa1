package entities

import "math"

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

// learner is a model in training: it is told which classes' weights to
// raise or lower for a feature set, and when a token has been seen.
type learner interface {
	add(feats []uint64, class int, delta float32)
	tick(tokens int)
}

// document is a tokenized text prepared for tagging.
type document struct {
	text    string
	toks    []Token
	info    []tokInfo
	sents   [][2]int // token ranges of sentences
	feats   []uint64 // scratch
	history map[uint64][]uint16
	classes []int
}

// prepare tokenizes text and computes the token-level and document-level
// facts the features need.
func prepare(text string, m *modelData) *document {
	d := &document{text: text}
	d.toks = appendTokens(make([]Token, 0, len(text)/5+1), text)
	d.info = make([]tokInfo, len(d.toks))
	var buf []byte
	lowerSeen := make(map[uint64]bool)
	capSeen := make(map[uint64]bool)
	start := 0
	for i, tok := range d.toks {
		if tok.SentenceStart && i > start {
			d.sents = append(d.sents, [2]int{start, i})
			start = i
		}
		ti := &d.info[i]
		buf = analyzeToken(ti, text[tok.Start:tok.End], buf)
		ti.first = tok.SentenceStart
		ti.barrier = isBarrier(text[tok.Start:tok.End])
		if m != nil {
			m.wordFacts(ti, buf)
		}
	}
	if start < len(d.toks) {
		d.sents = append(d.sents, [2]int{start, len(d.toks)})
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
	return d
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
	d.history = make(map[uint64][]uint16)
	v := newViterbi(nclass)
	for _, sent := range d.sents {
		n := sent[1] - sent[0]
		v.reset(n)
		for k := 0; k < n; k++ {
			i := sent[0] + k
			ti := &d.info[i]
			feats := d.tokenFeatures(i, sent)
			s.score(feats, v.emit[k*nclass:(k+1)*nclass])
			// Scores of the features that pair the previous class with
			// this token, for every previous class (0: sentence start).
			for p := 0; p <= nclass; p++ {
				pf := prevFeatures(v.pf[:0], p, ti)
				s.score(pf, v.trans[(k*(nclass+1)+p)*nclass:(k*(nclass+1)+p+1)*nclass])
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
		pf = prevFeatures(pf[:0], gp, &d.info[i])
		l.add(pf, gold[k], 1)
		pf = prevFeatures(pf[:0], pp, &d.info[i])
		l.add(pf, pred[k], -1)
	}
	l.tick(len(pred))
}

// tokenFeatures returns the features of token i that do not depend on
// the previous class; the slice is reused by the next call.
func (d *document) tokenFeatures(i int, sent [2]int) []uint64 {
	ti := &d.info[i]
	feats := staticFeatures(d.feats[:0], d.info, i, sent[0], sent[1])
	if ti.capitalised || ti.flags&flagAllCaps != 0 {
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
func prevFeatures(dst []uint64, p int, ti *tokInfo) []uint64 {
	return append(dst,
		mix(fPrev1, uint64(p)),
		mix(mix(fPrevWord, uint64(p)), ti.lower),
		mix(mix(fPrevShape, uint64(p)), ti.short),
	)
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
	pf     []uint64
}

func newViterbi(nclass int) *viterbi { return &viterbi{nclass: nclass} }

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

// isBarrier reports whether tok is a bracket or quote, which no entity
// spans.
func isBarrier(tok string) bool {
	switch tok {
	case "(", ")", "[", "]", "{", "}", "\"", "\u201c", "\u201d", "\u00ab", "\u00bb", ";":
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
