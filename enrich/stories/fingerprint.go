// Package stories groups near-duplicate articles into stories: the same
// wire story republished by several outlets, or an article updated in
// place under a new headline, gets one story id.
//
// An article's fingerprint is a MinHash signature of the word 3-shingles
// of its text: Hashes minimum hash values, whose agreement estimates the
// Jaccard similarity of two texts' shingle sets. Two articles belong to
// one story when the estimate reaches MinSimilarity. The Index remembers
// the fingerprints of recent articles, finds candidates by locality-
// sensitive hashing (Bands bands of Rows values: a pair at similarity
// 0.7 shares a band with probability 0.99998, at 0.5 with 0.99) and
// verifies the estimate.
//
// SimHash, the other common choice, was measured first: on news-length
// texts a one-word edit moves a 64-bit SimHash by about 6 bits, beyond
// what band lookup can retrieve cheaply.
//
// The index holds no state of its own that cannot be rebuilt: the
// fingerprint is a pure function of the article's text, so a replica
// rebuilds its window by reading the enriched articles back (see
// enrich.StoryTail).
package stories

import (
	"hash/fnv"
	"unicode"
	"unicode/utf8"
)

// Signature sizes.
const (
	Bands  = 16
	Rows   = 2
	Hashes = Bands * Rows
)

// Fingerprint is a MinHash signature.
type Fingerprint [Hashes]uint32

// Similarity estimates the Jaccard similarity of the shingle sets of the
// texts f and g were made from: the share of agreeing minimum hashes.
func (f *Fingerprint) Similarity(g *Fingerprint) float64 {
	same := 0
	for i := range f {
		if f[i] == g[i] {
			same++
		}
	}
	return float64(same) / Hashes
}

// band returns the lookup key of band b.
func (f *Fingerprint) band(b int) uint64 {
	return uint64(f[b*Rows])<<32 | uint64(f[b*Rows+1])
}

// shingleWords is the number of consecutive words hashed together.
const shingleWords = 3

// MinShingles is the fewest shingles a text needs for its fingerprint to
// mean anything; shorter texts (a headline alone) are not matched, since
// unrelated short texts collide.
const MinShingles = 12

// maxFingerprintBytes bounds the text read: the first 64 KiB of a story
// decide whether it is the same as another.
const maxFingerprintBytes = 64 << 10

// Of returns the fingerprint of text and the number of shingles it was
// built from. Words are lower-cased runs of letters and digits; each Han,
// kana or Hangul character is a word of its own, since those scripts do
// not separate words with spaces.
func Of(text string) (Fingerprint, int) {
	if len(text) > maxFingerprintBytes {
		text = text[:maxFingerprintBytes]
	}
	var (
		f      Fingerprint
		window [shingleWords]uint64
		nwords int
		n      int
	)
	add := func(word uint64) {
		window[nwords%shingleWords] = word
		nwords++
		if nwords < shingleWords {
			return
		}
		// Combine the window's words in text order into one shingle hash.
		h := uint64(14695981039346656037)
		for i := nwords - shingleWords; i < nwords; i++ {
			h ^= window[i%shingleWords]
			h *= 1099511628211
			h ^= h >> 29
		}
		// One hash function per signature value: the shingle hash mixed
		// with a different odd constant.
		for i := range f {
			v := uint32(mix(h + uint64(i)*0x9e3779b97f4a7c15))
			if n == 0 || v < f[i] {
				f[i] = v
			}
		}
		n++
	}
	w := fnv.New64a()
	inWord := false
	var buf [utf8.UTFMax]byte
	for _, r := range text {
		switch {
		case isIdeographic(r):
			if inWord {
				add(w.Sum64())
				inWord = false
			}
			w.Reset()
			k := utf8.EncodeRune(buf[:], r)
			w.Write(buf[:k])
			add(w.Sum64())
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			if !inWord {
				w.Reset()
				inWord = true
			}
			k := utf8.EncodeRune(buf[:], unicode.ToLower(r))
			w.Write(buf[:k])
		case inWord && (r == '\'' || r == '’'):
			// "Syria's" and "Syria’s" are one word either way.
			continue
		default:
			if inWord {
				add(w.Sum64())
				inWord = false
			}
		}
	}
	if inWord {
		add(w.Sum64())
	}
	return f, n
}

// mix is the finalizer of SplitMix64: it spreads the shingle hash over all
// 64 bits, which SimHash needs to be unbiased per bit.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func isIdeographic(r rune) bool {
	return r >= 0x2E80 && (unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r))
}

// Text returns the text an article's fingerprint is made from: its title
// and body. (The body alone was measured too: it keeps a republication
// under another headline closer, but joins short alerts filled into one
// template whose titles tell them apart; an article updated in place
// keeps its id, and so its story, whatever its headline.)
func Text(title, body string) string {
	return title + "\n" + body
}
