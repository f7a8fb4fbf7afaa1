package geo

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Separators between two tokens, as far as name matching cares.
const (
	gapSpace  = iota // only spaces or tabs: tokens may belong to one name
	gapHyphen        // a hyphen: "Winston-Salem", "US-backed"
	gapComma         // a comma and spaces: "Paris, Texas"
	gapBreak         // anything else: sentence end, newline, quote, bracket
)

// token is a word of the text: letters and digits, with inner apostrophes
// ("O'Hare") and the dots of abbreviations ("U.S.", "D.C."), without a
// possessive "'s".
type token struct {
	start, end int    // byte span in the text
	key        string // lower-cased, accents folded, dots dropped
	gap        uint8  // separator before the token
	cap        bool   // first letter upper case
	upper      bool   // every letter upper case
	sentStart  bool   // first token of a sentence or line
}

// tokenize splits text into tokens. It never fails: bytes that are not
// UTF-8 are separators.
func tokenize(text string, dst []token) []token {
	dst = dst[:0]
	gap := uint8(gapBreak)
	sent := true
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		if !isWordRune(r) {
			switch {
			case r == ' ' || r == '\t' || r == '\u00a0':
			case r == '-' || r == '\u2010' || r == '\u2011':
				if gap == gapSpace {
					gap = gapHyphen
				}
			case r == ',':
				if gap == gapSpace || gap == gapHyphen {
					gap = gapComma
				}
			default:
				gap = gapBreak
				if r == '.' || r == '!' || r == '?' || r == '\n' || r == ':' || r == ';' {
					sent = true
				}
			}
			i += n
			continue
		}
		start := i
		end := scanWord(text, i)
		t := token{start: start, end: end, gap: gap, sentStart: sent}
		t.key, t.cap, t.upper = wordKey(text[start:end])
		dst = append(dst, t)
		i = end
		gap, sent = gapSpace, false
		// Skip a possessive "'s" so that "Syria's" is the token "Syria".
		// It ends a name: "Ottawa's Macdonald-Cartier airport".
		if p := possessiveLen(text[end:]); p > 0 {
			i += p
			gap = gapBreak
		}
	}
	return dst
}

// scanWord returns the end of the word starting at i.
func scanWord(text string, i int) int {
	hasDot := false
	for i < len(text) {
		r, n := utf8.DecodeRuneInString(text[i:])
		switch {
		case isWordRune(r):
			i += n
		case r == '\'' || r == '\u2019':
			// Inner apostrophe, not a possessive: "O'Hare", "d'Ivoire".
			next, _ := utf8.DecodeRuneInString(text[i+n:])
			if !unicode.IsLetter(next) || possessiveLen(text[i:]) > 0 {
				return i
			}
			i += n
		case r == '.':
			next, _ := utf8.DecodeRuneInString(text[i+1:])
			switch {
			case unicode.IsLetter(next) && singleLetterBefore(text, i):
				hasDot = true
				i++
			case hasDot:
				// The closing dot of "U.S." or "D.C.".
				return i + 1
			default:
				return i
			}
		default:
			return i
		}
	}
	return i
}

// singleLetterBefore reports whether the word part right before the dot at
// i is one letter, as in the "U" of "U.S".
func singleLetterBefore(text string, i int) bool {
	r, n := utf8.DecodeLastRuneInString(text[:i])
	if !unicode.IsLetter(r) {
		return false
	}
	p, _ := utf8.DecodeLastRuneInString(text[:i-n])
	return !isWordRune(p)
}

func possessiveLen(s string) int {
	for _, ap := range []string{"'s", "\u2019s"} {
		if strings.HasPrefix(s, ap) {
			next, _ := utf8.DecodeRuneInString(s[len(ap):])
			if !isWordRune(next) {
				return len(ap)
			}
		}
	}
	return 0
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// wordKey returns the lookup key of one word and its case.
func wordKey(w string) (key string, capital, upper bool) {
	first, _ := utf8.DecodeRuneInString(w)
	capital = unicode.IsUpper(first)
	upper = capital
	ascii := true
	for _, r := range w {
		if r >= utf8.RuneSelf {
			ascii = false
		}
		if unicode.IsLower(r) {
			upper = false
		}
	}
	if ascii && !capital && strings.IndexFunc(w, func(r rune) bool { return r == '.' || ('A' <= r && r <= 'Z') }) < 0 {
		// Already a key: share the text's bytes.
		return w, capital, upper
	}
	if ascii {
		var b strings.Builder
		b.Grow(len(w))
		for i := 0; i < len(w); i++ {
			c := w[i]
			switch {
			case c == '.':
				continue
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			}
			b.WriteByte(c)
		}
		return b.String(), capital, upper
	}
	return foldKey(w), capital, upper
}

// foldKey lower-cases, strips accents and drops dots: "Genève" → "geneve".
func foldKey(w string) string {
	b := make([]byte, 0, len(w))
	var one, nfd [utf8.UTFMax * 4]byte
	for _, r := range w {
		switch {
		case r == '.':
			continue
		case r < utf8.RuneSelf:
			b = append(b, byte(unicode.ToLower(r)))
			continue
		case r == '\u2019':
			b = append(b, '\'')
			continue
		}
		n := utf8.EncodeRune(one[:], r)
		for _, d := range string(norm.NFD.Append(nfd[:0], one[:n]...)) {
			if !unicode.Is(unicode.Mn, d) {
				b = utf8.AppendRune(b, unicode.ToLower(d))
			}
		}
	}
	return string(b)
}

// nameKey is the key of a multi-word name, as tokenize and the spotter
// build it from the text: word keys joined by single spaces.
func nameKey(name string) (key string, words int) {
	if k, n, ok := simpleKey(name); ok {
		return k, n
	}
	toks := tokenize(name, nil)
	keys := make([]string, len(toks))
	for i, t := range toks {
		keys[i] = t.key
	}
	return strings.Join(keys, " "), len(toks)
}

// simpleKey is nameKey for names of ASCII letters, digits, spaces and
// hyphens, which are most of the gazetteer: the same key without the
// tokenizer's allocations.
func simpleKey(name string) (key string, words int, ok bool) {
	b := make([]byte, 0, len(name))
	inWord := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c == ' ' || c == '-':
			inWord = false
			continue
		default:
			return "", 0, false
		}
		if !inWord {
			if words > 0 {
				b = append(b, ' ')
			}
			words++
			inWord = true
		}
		b = append(b, c)
	}
	return string(b), words, true
}
