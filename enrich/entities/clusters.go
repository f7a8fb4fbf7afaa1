package entities

import (
	"math"
	"math/rand/v2"
	"slices"
)

// wordClusters maps the hash of a lowercased word to its cluster at two
// granularities, fine and coarse (cluster number + 1; 0 is none).
type wordClusters map[uint64][2]uint16

// ClusterOptions fix how LearnClusters groups words.
type ClusterOptions struct {
	Fine, Coarse int    // number of clusters at each level
	MinCount     int    // words seen fewer times are left out
	Contexts     int    // the most frequent words used as context dimensions
	Iterations   int    // k-means passes
	Seed         uint64 // picks the initial centroids
}

// learnClusters groups the words of unlabelled texts by the words seen
// next to them: each word is a vector of log counts of its left and right
// neighbours among the most frequent words, clustered with spherical
// k-means into opts.Fine clusters, whose centroids are clustered again
// into opts.Coarse clusters.
func learnClusters(texts []string, opts ClusterOptions) wordClusters {
	var (
		counts = map[uint64]int{}
		seqs   [][]uint64
		ti     tokInfo
		buf    []byte
	)
	for _, text := range texts {
		var cur []uint64
		for _, tok := range Tokenize(text) {
			if tok.SentenceStart && len(cur) > 0 {
				seqs = append(seqs, cur)
				cur = nil
			}
			buf = analyzeToken(&ti, text[tok.Start:tok.End], buf)
			cur = append(cur, ti.lower)
			counts[ti.lower]++
		}
		if len(cur) > 0 {
			seqs = append(seqs, cur)
		}
	}
	vocab := make([]uint64, 0, len(counts))
	for w, c := range counts {
		if c >= opts.MinCount {
			vocab = append(vocab, w)
		}
	}
	slices.SortFunc(vocab, func(a, b uint64) int {
		if counts[a] != counts[b] {
			return counts[b] - counts[a]
		}
		if a < b {
			return -1
		}
		return 1
	})
	if len(vocab) < opts.Fine {
		return nil
	}
	ctx := map[uint64]int{}
	for i, w := range vocab[:min(opts.Contexts, len(vocab))] {
		ctx[w] = i
	}
	dims := 2 * (len(ctx) + 1)
	index := map[uint64]int{}
	for i, w := range vocab {
		index[w] = i
	}
	// Sparse context vectors: left neighbours in the first half, right in
	// the second; words outside the context list share one dimension.
	vecs := make([]map[int]float32, len(vocab))
	for i := range vecs {
		vecs[i] = map[int]float32{}
	}
	ctxOf := func(w uint64) int {
		if c, ok := ctx[w]; ok {
			return c
		}
		return len(ctx)
	}
	for _, seq := range seqs {
		for i, w := range seq {
			wi, ok := index[w]
			if !ok {
				continue
			}
			left, right := len(ctx), len(ctx)
			if i > 0 {
				left = ctxOf(seq[i-1])
			}
			if i+1 < len(seq) {
				right = ctxOf(seq[i+1])
			}
			vecs[wi][left]++
			vecs[wi][len(ctx)+1+right]++
		}
	}
	sparse := make([]sparseVec, len(vocab))
	for i, v := range vecs {
		sparse[i] = normalize(v)
	}
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0xc1a5))
	fine := kmeans(sparse, dims, opts.Fine, opts.Iterations, rng)

	// The coarse level clusters the fine centroids.
	cent := make([]sparseVec, opts.Fine)
	for c := range opts.Fine {
		v := map[int]float32{}
		for i, a := range fine.assign {
			if a == c {
				for k, d := range sparse[i].dims {
					v[d] += sparse[i].vals[k]
				}
			}
		}
		cent[c] = normalize(v)
	}
	coarse := kmeans(cent, dims, opts.Coarse, opts.Iterations, rng)

	out := make(wordClusters, len(vocab))
	for i, w := range vocab {
		f := fine.assign[i]
		out[w] = [2]uint16{uint16(f + 1), uint16(coarse.assign[f] + 1)}
	}
	return out
}

type sparseVec struct {
	dims []int
	vals []float32
}

// normalize turns counts into an L2-normalized vector of log counts,
// dimensions in order.
func normalize(v map[int]float32) sparseVec {
	var s sparseVec
	for d := range v {
		s.dims = append(s.dims, d)
	}
	slices.Sort(s.dims)
	var norm float64
	for _, d := range s.dims {
		x := float32(math.Log1p(float64(v[d])))
		s.vals = append(s.vals, x)
		norm += float64(x) * float64(x)
	}
	if norm > 0 {
		inv := float32(1 / math.Sqrt(norm))
		for k := range s.vals {
			s.vals[k] *= inv
		}
	}
	return s
}

type kmeansResult struct {
	assign []int
}

// kmeans clusters unit vectors by cosine similarity (spherical k-means),
// starting from k distinct vectors picked by rng.
func kmeans(vecs []sparseVec, dims, k, iterations int, rng *rand.Rand) kmeansResult {
	k = min(k, len(vecs))
	cent := make([]float32, k*dims)
	for c, i := range rng.Perm(len(vecs))[:k] {
		for j, d := range vecs[i].dims {
			cent[c*dims+d] = vecs[i].vals[j]
		}
	}
	assign := make([]int, len(vecs))
	for it := 0; it < iterations; it++ {
		changed := 0
		for i, v := range vecs {
			best, bestSim := 0, float32(math.Inf(-1))
			for c := 0; c < k; c++ {
				row := cent[c*dims : (c+1)*dims]
				var sim float32
				for j, d := range v.dims {
					sim += row[d] * v.vals[j]
				}
				if sim > bestSim {
					best, bestSim = c, sim
				}
			}
			if it == 0 || assign[i] != best {
				changed++
			}
			assign[i] = best
		}
		clear(cent)
		for i, v := range vecs {
			row := cent[assign[i]*dims : (assign[i]+1)*dims]
			for j, d := range v.dims {
				row[d] += v.vals[j]
			}
		}
		for c := 0; c < k; c++ {
			row := cent[c*dims : (c+1)*dims]
			var norm float64
			for _, x := range row {
				norm += float64(x) * float64(x)
			}
			if norm > 0 {
				inv := float32(1 / math.Sqrt(norm))
				for j := range row {
					row[j] *= inv
				}
			}
		}
		if changed == 0 {
			break
		}
	}
	return kmeansResult{assign: assign}
}
