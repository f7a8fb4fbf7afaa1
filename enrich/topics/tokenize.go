package topics

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

type token struct {
	word       string // lower case
	start, end int    // byte offsets into the field
	afterBreak bool   // a sentence or line break precedes it
}

// tokenize splits text into lower-cased words of letters and digits with
// byte offsets. Hyphenated words are split into their parts, so "al-Assad"
// matches "assad" and "cease-fire" matches "cease fire"; a possessive "'s"
// is dropped, so "Syria's" matches "syria"; other inner apostrophes stay
// ("don't").
func tokenize(text string) []token {
	toks := make([]token, 0, len(text)/6)
	brk := false
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !isWordRune(r) {
			switch r {
			case '.', '!', '?', '\n', ';', ':':
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
			// Keep an inner apostrophe when a letter follows (don't).
			if r == '\'' || r == '’' {
				if n, _ := utf8.DecodeRuneInString(text[i+size:]); i+size < len(text) && isWordRune(n) {
					i += size
					continue
				}
			}
			break
		}
		end := i
		word := strings.ToLower(text[start:end])
		if base, ok := cutPossessive(word); ok {
			end -= len(word) - len(base)
			word = base
		}
		toks = append(toks, token{word: word, start: start, end: end, afterBreak: brk})
		brk = false
	}
	return toks
}

// cutPossessive strips a trailing "'s" or "’s".
func cutPossessive(w string) (string, bool) {
	if b, ok := strings.CutSuffix(w, "'s"); ok && b != "" {
		return b, true
	}
	if b, ok := strings.CutSuffix(w, "’s"); ok && b != "" {
		return b, true
	}
	return w, false
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// words splits a taxonomy pattern into lower-case words as tokenize would
// split text; a word written with a trailing "*" keeps it, as a prefix
// pattern ("refugee*" matches "refugees").
func words(pattern string) []string {
	var out []string
	for _, f := range strings.Fields(pattern) {
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
