package entities

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
)

// TrainOptions fix what Train does; the same options and data give the
// same model.
type TrainOptions struct {
	Iterations int    // passes over the training documents
	Seed       uint64 // shuffles the document order of each pass
	// Folds > 1 adds the names of the training documents to the
	// gazetteer, and builds the gazetteer features of each training
	// document from the names of the other folds only, so that the model
	// learns how far a gazetteer match can be trusted on unseen text.
	// Folds <= 1 leaves the training names out of the gazetteer.
	Folds int
	// Names are extra gazetteer entries from outside the training data:
	// entity types (LOC) or other categories (FIRST, LAST); at most eight
	// categories with the entity types.
	Names []Name
	// MinWeight drops features whose averaged weights are all smaller in
	// magnitude, to keep the model file small.
	MinWeight float64
	// Unlabelled texts, when given, are grouped into word clusters
	// (Clusters) whose ids become features.
	Unlabelled []string
	Clusters   ClusterOptions
	// Without names feature groups (keys of FeatureGroups) to leave out.
	Without []string
	// Dev, when set, is tagged after every pass and Logf told its scores.
	Dev  []Document
	Logf func(format string, args ...any)
}

// Name is a gazetteer entry: a name and the entity type it denotes.
type Name struct {
	Type, Text string
}

// Model is a trained tagger model that can be written to a file.
type Model struct {
	data *modelData
}

// Tag tags text with the model alone, without the alias pass of
// Tagger.Tag.
func (m *Model) Tag(text string) []Mention { return tagWith(m.data, text) }

// Features reports the number of weighted features in the model.
func (m *Model) Features() int { return len(m.data.w) / m.data.nclass }

// Encode writes the model in the format Load reads.
func (m *Model) Encode(w io.Writer) error { return m.data.encode(w) }

// Train trains a model on docs, labelled in their Gold spans.
func Train(docs []Document, opts TrainOptions) (*Model, error) {
	if len(docs) == 0 {
		return nil, errors.New("training: no documents")
	}
	if opts.Iterations <= 0 {
		return nil, fmt.Errorf("training: %d iterations", opts.Iterations)
	}
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	types := entityTypes(docs)
	if len(types) > 8 {
		return nil, fmt.Errorf("training: %d entity types, at most 8", len(types))
	}
	lab := labels{types}
	var off uint32
	for _, g := range opts.Without {
		bit, ok := FeatureGroups[g]
		if !ok {
			return nil, fmt.Errorf("training: no feature group %q", g)
		}
		off |= bit
	}
	full := &modelData{types: types, nclass: lab.n(), gaz: make(gazetteer), off: off}
	if len(opts.Unlabelled) > 0 && off&groupClusters == 0 {
		full.clusters = learnClusters(opts.Unlabelled, opts.Clusters)
		logf("word clusters: %d words", len(full.clusters))
	}
	folds := max(opts.Folds, 1)
	foldGaz := make([]gazetteer, folds)
	for k := range foldGaz {
		foldGaz[k] = make(gazetteer)
	}
	// Gazetteer categories are the entity types, then the other
	// categories of the extra names (e.g. FIRST, LAST).
	categories := slices.Clone(types)
	for _, n := range opts.Names {
		if !slices.Contains(categories, n.Type) {
			categories = append(categories, n.Type)
		}
	}
	if len(categories) > 8 {
		return nil, fmt.Errorf("training: %d gazetteer categories %v, at most 8", len(categories), categories)
	}
	for _, n := range opts.Names {
		t := slices.Index(categories, n.Type)
		h := nameHash(n.Text)
		full.gaz[h] |= 1 << t
		for _, g := range foldGaz {
			g[h] |= 1 << t
		}
	}
	for i, d := range docs {
		if folds == 1 {
			break
		}
		for _, s := range d.Gold {
			t := slices.Index(types, s.Type)
			h := nameHash(d.Text[s.Start:s.End])
			full.gaz[h] |= 1 << t
			for k, g := range foldGaz {
				if i%folds != k {
					g[h] |= 1 << t
				}
			}
		}
	}

	prepared := make([]*document, len(docs))
	gold := make([][]int, len(docs))
	for i, d := range docs {
		fm := &modelData{types: types, nclass: lab.n(), gaz: foldGaz[i%folds], clusters: full.clusters, off: off}
		prepared[i] = prepare(d.Text, fm)
		gold[i] = goldClasses(prepared[i], d.Gold, types)
	}

	p := &perceptron{nclass: lab.n(), index: make(map[uint64]int32)}
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x5eed))
	order := make([]int, len(docs))
	for i := range order {
		order[i] = i
	}
	for it := 1; it <= opts.Iterations; it++ {
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		errs, tokens := 0, 0
		for _, i := range order {
			pred := prepared[i].decode(p, p.nclass, len(types), p, gold[i])
			for k, c := range pred {
				if c != gold[i][k] {
					errs++
				}
			}
			tokens += len(gold[i])
		}
		logf("pass %d: %d of %d tokens wrong (%.2f%%), %d features", it, errs, tokens, 100*float64(errs)/float64(tokens), len(p.index))
		if len(opts.Dev) > 0 {
			dm := p.average(full, 0)
			dm.findPrevKeys(prepared)
			s := Evaluate(opts.Dev, (&Model{data: dm}).Tag)
			logf("pass %d dev: %s", it, s.Summary())
		}
	}
	m := p.average(full, opts.MinWeight)
	m.findPrevKeys(prepared)
	return &Model{data: m}, nil
}

// entityTypes returns the sorted types of the gold spans.
func entityTypes(docs []Document) []string {
	var types []string
	for _, d := range docs {
		for _, s := range d.Gold {
			if !slices.Contains(types, s.Type) {
				types = append(types, s.Type)
			}
		}
	}
	slices.Sort(types)
	return types
}

// nameHash is the gazetteer key of a name: the hashes of its lowercased
// tokens.
func nameHash(name string) uint64 {
	var ti tokInfo
	var buf []byte
	h := uint64(0)
	for _, tok := range Tokenize(name) {
		buf = analyzeToken(&ti, name[tok.Start:tok.End], buf)
		h = phraseHash(h, ti.lower)
	}
	return h
}

// goldClasses labels each token of d with its BILOU class; a token that
// overlaps a gold span belongs to it.
func goldClasses(d *document, spans []Span, types []string) []int {
	classes := make([]int, len(d.toks))
	j := 0
	for _, s := range spans {
		t := slices.Index(types, s.Type)
		for j < len(d.toks) && d.toks[j].End <= s.Start {
			j++
		}
		first := j
		k := j
		for k < len(d.toks) && d.toks[k].Start < s.End {
			k++
		}
		switch n := k - first; {
		case n == 1:
			classes[first] = classOf(t, posU)
		case n > 1:
			classes[first] = classOf(t, posB)
			for x := first + 1; x < k-1; x++ {
				classes[x] = classOf(t, posI)
			}
			classes[k-1] = classOf(t, posL)
		}
		j = k
	}
	return classes
}

// perceptron is the averaged perceptron being trained, with lazily
// updated averages.
type perceptron struct {
	nclass int
	index  map[uint64]int32
	w      []float32
	total  []float64
	stamp  []int32
	step   int32
}

func (p *perceptron) score(feats []uint64, out []float32) {
	clear(out)
	n := p.nclass
	for _, f := range feats {
		if r, ok := p.index[f]; ok {
			for c, v := range p.w[int(r)*n : int(r)*n+n] {
				out[c] += v
			}
		}
	}
}

func (p *perceptron) add(feats []uint64, class int, delta float32) {
	n := p.nclass
	for _, f := range feats {
		if f == 0 {
			continue
		}
		r, ok := p.index[f]
		if !ok {
			r = int32(len(p.w) / n)
			p.index[f] = r
			p.w = append(p.w, make([]float32, n)...)
			p.total = append(p.total, make([]float64, n)...)
			p.stamp = append(p.stamp, make([]int32, n)...)
		}
		p.addAt(int(r)*n+class, delta)
	}
}

func (p *perceptron) tick(tokens int) { p.step += int32(tokens) }

func (p *perceptron) addAt(i int, delta float32) {
	p.total[i] += float64(p.step-p.stamp[i]) * float64(p.w[i])
	p.stamp[i] = p.step
	p.w[i] += delta
}

// average returns the model with averaged weights, without the features
// whose weights all stay below minWeight in magnitude.
func (p *perceptron) average(base *modelData, minWeight float64) *modelData {
	n := p.nclass
	steps := float64(max(p.step, 1))
	features := make(map[uint64][]float32, len(p.index))
	for f, r := range p.index {
		row := make([]float32, n)
		keep := false
		for c := range n {
			i := int(r)*n + c
			tot := p.total[i] + float64(p.step-p.stamp[i])*float64(p.w[i])
			v := tot / steps
			row[c] = float32(v)
			if math.Abs(v) >= minWeight && v != 0 {
				keep = true
			}
		}
		if keep {
			features[f] = row
		}
	}
	m := &modelData{types: base.types, nclass: base.nclass, gaz: base.gaz, clusters: base.clusters, off: base.off}
	m.build(features)
	return m
}
