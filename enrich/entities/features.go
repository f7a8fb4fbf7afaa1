package entities

import (
	"unicode"
	"unicode/utf8"
)

// Feature templates. A feature is the 64-bit hash of its template and its
// values; the model stores weights only for the features it learned.
const (
	fBias uint64 = iota + 1
	fWord
	fLower
	fShape
	fShort
	fPrefix
	fSuffix
	fLowerAt    // lowercased word at an offset in -2..2
	fShortAt    // short shape at an offset
	fBigramPrev // lower[i-1] + lower[i]
	fBigramNext // lower[i] + lower[i+1]
	fFlags
	fFirstFlags  // flags of a sentence-initial token
	fCapsLine    // flags + shape in an all-caps sentence
	fDocLower    // the word also appears in lower case elsewhere in the document
	fDocCap      // the word also appears capitalised mid-sentence in the document
	fPrev1       // previous predicted tag
	fPrev2       // previous two predicted tags
	fPrevWord    // previous tag + lower[i]
	fPrevShape   // previous tag + short shape
	fHistory     // a type this word was given earlier in the document
	fGazetteer   // gazetteer type and position of a match covering the token
	fHistoryNone // capitalised word not tagged earlier in the document
	fCluster     // word cluster of the token
	fClusterAt   // word cluster of a neighbour
)

// Feature groups that training can leave out, to measure what each adds.
// A model records the groups it was trained without.
const (
	groupAffixes   = 1 << iota // prefixes and suffixes
	groupContext               // words, shapes and bigrams at -2..2
	groupShape                 // word shape and flags
	groupCase                  // sentence-initial and all-caps sentence features, case elsewhere in the document
	groupHistory               // types given to the word earlier in the document
	groupPrevWord              // previous class with the word and shape
	groupGazetteer             // gazetteer matches
	groupClusters              // word clusters of the word and its neighbours
)

// FeatureGroups names the feature groups TrainOptions.Without accepts.
var FeatureGroups = map[string]uint32{
	"affixes":   groupAffixes,
	"context":   groupContext,
	"shape":     groupShape,
	"case":      groupCase,
	"history":   groupHistory,
	"prev-word": groupPrevWord,
	"gazetteer": groupGazetteer,
	"clusters":  groupClusters,
}

// Token flags.
const (
	flagInitCap = 1 << iota
	flagAllCaps
	flagAllLower
	flagMixedCaps
	flagHasDigit
	flagAllDigits
	flagHasHyphen
	flagHasPeriod
	flagPunct
	flagSingleChar
)

// Special value hashes for positions outside the sentence.
const (
	hashBOS uint64 = 0x9e3779b97f4a7c15
	hashEOS uint64 = 0xbf58476d1ce4e5b9
)

const (
	fnvOffset uint64 = 14695981039346656037
	fnvPrime  uint64 = 1099511628211
)

// mix combines two hashes into one, well distributed.
func mix(a, b uint64) uint64 {
	x := a*0xff51afd7ed558ccd ^ (b + 0x9e3779b97f4a7c15 + a<<6 + a>>2)
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

func hashBytes(b []byte) uint64 {
	h := fnvOffset
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

func hashString(s string) uint64 {
	h := fnvOffset
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// tokInfo holds what the features need of one token, computed once.
type tokInfo struct {
	word, lower, shape, short uint64
	prefix, suffix            [4]uint64
	flags                     uint16
	first                     bool // first token of its sentence
	barrier                   bool // a bracket or quote
	capsLine                  bool // in a sentence written in capitals
	docLower, docCap          bool
	capitalised               bool
	cluster                   [2]uint16 // fine and coarse word cluster + 1 (0: none)
	gaz                       [8]uint16 // gazetteer matches: category<<4 | BILOU position
	ngaz                      uint8
}

// analyzeToken fills the word-level part of ti for word; buf is scratch
// space, returned (maybe grown) with the lowercased word at its start.
func analyzeToken(ti *tokInfo, word string, buf []byte) []byte {
	buf = buf[:0]
	shape, short := fnvOffset, fnvOffset
	var last byte
	var flags uint16
	upper, lower, digits, letters, runes := 0, 0, 0, 0, 0
	for i := 0; i < len(word); {
		r, size := decodeRune(word, i)
		i += size
		runes++
		var c byte
		switch {
		case r < utf8.RuneSelf && r >= 'A' && r <= 'Z':
			c = 'X'
			upper++
			letters++
			buf = append(buf, byte(r)+'a'-'A')
		case r < utf8.RuneSelf && r >= 'a' && r <= 'z':
			c = 'x'
			lower++
			letters++
			buf = append(buf, byte(r))
		case r < utf8.RuneSelf && r >= '0' && r <= '9':
			c = 'd'
			digits++
			buf = append(buf, byte(r))
		case r < utf8.RuneSelf:
			c = byte(r)
			if r == '-' {
				flags |= flagHasHyphen
			} else if r == '.' {
				flags |= flagHasPeriod
			}
			buf = append(buf, byte(r))
		case unicode.IsUpper(r):
			c = 'X'
			upper++
			letters++
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
		case unicode.IsLetter(r):
			c = 'x'
			lower++
			letters++
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
		case unicode.IsDigit(r):
			c = 'd'
			digits++
			buf = utf8.AppendRune(buf, r)
		default:
			c = '*'
			if r == '\u2010' || r == '\u2011' || r == '\u2013' {
				flags |= flagHasHyphen
			}
			buf = utf8.AppendRune(buf, r)
		}
		shape ^= uint64(c)
		shape *= fnvPrime
		if c != last {
			short ^= uint64(c)
			short *= fnvPrime
			last = c
		}
	}
	first, _ := utf8.DecodeRuneInString(word)
	if particleName(word) {
		// "al-Assad", "el-Sisi", "bin-Laden": a name behind a particle.
		first = 'A'
		lower = 0
	}
	switch {
	case letters == 0 && digits == 0:
		flags |= flagPunct
	case upper > 0 && lower == 0:
		flags |= flagAllCaps
	case upper == 0 && lower > 0:
		flags |= flagAllLower
	}
	if unicode.IsUpper(first) {
		flags |= flagInitCap
		if upper > 1 && lower > 0 {
			flags |= flagMixedCaps
		}
	}
	if digits > 0 {
		flags |= flagHasDigit
		if digits == runes {
			flags |= flagAllDigits
		}
	}
	if runes == 1 {
		flags |= flagSingleChar
	}
	ti.word = hashString(word)
	ti.lower = hashBytes(buf)
	ti.shape = shape
	ti.short = short
	ti.flags = flags
	ti.capitalised = flags&flagInitCap != 0
	// Prefixes and suffixes of the lowercased word, in runes.
	ti.prefix, ti.suffix = [4]uint64{}, [4]uint64{}
	n := 0
	for i := 0; i < len(buf) && n < 4; n++ {
		_, size := utf8.DecodeRune(buf[i:])
		i += size
		ti.prefix[n] = hashBytes(buf[:i])
	}
	n = 0
	for j := len(buf); j > 0 && n < 4; n++ {
		_, size := utf8.DecodeLastRune(buf[:j])
		j -= size
		ti.suffix[n] = hashBytes(buf[j:])
	}
	return buf
}

// nameParticles are the lowercase particles of names ("Staffan de
// Mistura", "Bashar al-Assad", "Ludwig van Beethoven").
var nameParticles = map[string]bool{
	"al": true, "el": true, "ad": true, "as": true, "ash": true, "at": true, "an": true, "ar": true, "az": true,
	"bin": true, "ibn": true, "abu": true, "ben": true, "bint": true,
	"de": true, "da": true, "di": true, "du": true, "del": true, "della": true, "des": true, "dos": true, "das": true,
	"van": true, "von": true, "der": true, "den": true, "ter": true, "le": true, "la": true, "zu": true,
}

// particleName reports whether word is a lowercase particle joined by a
// hyphen to a capitalised name, as in "al-Assad".
func particleName(word string) bool {
	h := -1
	for i := 0; i < len(word) && i < 5; i++ {
		if word[i] == '-' {
			h = i
			break
		}
	}
	if h <= 0 || h+1 >= len(word) || !nameParticles[word[:h]] {
		return false
	}
	r, _ := utf8.DecodeRuneInString(word[h+1:])
	return unicode.IsUpper(r)
}

// staticFeatures appends the features of token i that do not depend on
// predictions, without the groups in off.
func staticFeatures(dst []uint64, toks []tokInfo, i, sentStart, sentEnd int, off uint32) []uint64 {
	t := &toks[i]
	dst = append(dst, fBias, mix(fWord, t.word), mix(fLower, t.lower))
	if off&groupShape == 0 {
		dst = append(dst, mix(fShape, t.shape), mix(fShort, t.short), mix(fFlags, uint64(t.flags)))
	}
	if off&groupAffixes == 0 {
		for k := 0; k < 4; k++ {
			if t.prefix[k] != 0 {
				dst = append(dst, mix(fPrefix+uint64(k)<<8, t.prefix[k]))
			}
			if t.suffix[k] != 0 {
				dst = append(dst, mix(fSuffix+uint64(k)<<8, t.suffix[k]))
			}
		}
	}
	if off&groupContext == 0 {
		for off := -2; off <= 2; off++ {
			if off == 0 {
				continue
			}
			j := i + off
			lw, sh := hashBOS, hashBOS
			if j >= sentEnd {
				lw, sh = hashEOS, hashEOS
			} else if j >= sentStart {
				lw, sh = toks[j].lower, toks[j].short
			}
			o := uint64(off+2) << 8
			dst = append(dst, mix(fLowerAt+o, lw), mix(fShortAt+o, sh))
		}
		prev, next := hashBOS, hashEOS
		if i > sentStart {
			prev = toks[i-1].lower
		}
		if i+1 < sentEnd {
			next = toks[i+1].lower
		}
		dst = append(dst, mix(mix(fBigramPrev, prev), t.lower), mix(mix(fBigramNext, t.lower), next))
	}
	if off&groupCase == 0 {
		if t.first {
			dst = append(dst, mix(fFirstFlags, uint64(t.flags)), mix(fFirstFlags, t.lower))
		}
		if t.capsLine {
			dst = append(dst, mix(fCapsLine, uint64(t.flags)), mix(fCapsLine+1<<8, t.lower))
		}
		if t.docLower {
			dst = append(dst, mix(fDocLower, uint64(t.flags)))
		}
		if t.docCap {
			dst = append(dst, mix(fDocCap, uint64(t.flags)))
		}
	}
	if off&groupClusters == 0 {
		for level, c := range t.cluster {
			dst = append(dst, mix(fCluster+uint64(level)<<8, uint64(c)))
		}
		for _, o := range [2]int{-1, 1} {
			j := i + o
			if j < sentStart || j >= sentEnd {
				continue
			}
			for level, c := range toks[j].cluster {
				dst = append(dst, mix(fClusterAt+uint64(level)<<8+uint64(o+1)<<16, uint64(c)))
			}
		}
	}
	if off&groupGazetteer == 0 {
		for _, g := range t.gaz[:t.ngaz] {
			f := mix(fGazetteer, uint64(g))
			dst = append(dst, f, mix(f, uint64(t.flags&(flagInitCap|flagAllCaps))))
		}
	}
	return dst
}
