package entities

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

// learner is told the gold class of each token during training.
type learner interface {
	update(feats []uint64, gold, guess int)
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

// decode assigns a class to every token greedily, left to right, with the
// previous predictions and the document's earlier predictions as
// features. With a learner and gold classes it trains on the document.
func (d *document) decode(s scorer, nclass, ntypes int, l learner, gold []int) []int {
	if cap(d.classes) < len(d.toks) {
		d.classes = make([]int, len(d.toks))
	}
	classes := d.classes[:len(d.toks)]
	scores := make([]float32, nclass)
	d.history = make(map[uint64][]uint16)
	for _, sent := range d.sents {
		for i := sent[0]; i < sent[1]; i++ {
			ti := &d.info[i]
			feats := staticFeatures(d.feats[:0], d.info, i, sent[0], sent[1])
			p1, p2 := 0, 0
			if i > sent[0] {
				p1 = classes[i-1] + 1
			}
			if i > sent[0]+1 {
				p2 = classes[i-2] + 1
			}
			feats = append(feats,
				mix(fPrev1, uint64(p1)),
				mix(mix(fPrev2, uint64(p2)), uint64(p1)),
				mix(mix(fPrevWord, uint64(p1)), ti.lower),
				mix(mix(fPrevShape, uint64(p1)), ti.short),
			)
			key := ti.lower
			wantHistory := ti.capitalised || ti.flags&flagAllCaps != 0
			if wantHistory {
				if h := d.history[key]; h != nil {
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
			s.score(feats, scores)
			prev := 0
			if i > sent[0] {
				prev = classes[i-1]
			}
			last := i == sent[1]-1
			best, bestScore := -1, float32(0)
			for c := 0; c < nclass; c++ {
				if !allowed(prev, c, last) {
					continue
				}
				if best < 0 || scores[c] > bestScore {
					best, bestScore = c, scores[c]
				}
			}
			if l != nil && gold[i] != best {
				l.update(feats, gold[i], best)
			}
			classes[i] = best
			if wantHistory {
				h := d.history[key]
				if h == nil {
					h = make([]uint16, ntypes+1)
					d.history[key] = h
				}
				t := 0
				if best > 0 {
					t, _ = split(best)
					t++
				}
				h[t]++
			}
		}
	}
	return classes
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
