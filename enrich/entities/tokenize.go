package entities

import (
	"unicode"
	"unicode/utf8"
)

// Token is a span of the text, Start and End are byte offsets (End
// exclusive). SentenceStart marks the first token of a sentence: after a
// line break or after sentence-final punctuation.
type Token struct {
	Start, End    int
	SentenceStart bool
}

// abbreviations keep their trailing period; any other word followed by a
// period is split from it.
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "st": true, "sr": true, "jr": true,
	"gen": true, "lt": true, "col": true, "maj": true, "capt": true, "cpl": true, "sgt": true, "adm": true,
	"gov": true, "sen": true, "rep": true, "rev": true, "hon": true, "pres": true, "amb": true, "supt": true,
	"co": true, "corp": true, "inc": true, "ltd": true, "plc": true, "bros": true, "cie": true, "nv": true, "bv": true,
	"ag": true, "sa": true, "spa": true, "dept": true, "univ": true, "assn": true, "ave": true, "blvd": true,
	"mt": true, "ft": true, "no": true, "vs": true, "etc": true, "approx": true, "est": true,
	"jan": true, "feb": true, "mar": true, "apr": true, "jun": true, "jul": true, "aug": true,
	"sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
	"ala": true, "ariz": true, "ark": true, "calif": true, "colo": true, "conn": true, "del": true, "fla": true,
	"ga": true, "ill": true, "ind": true, "kan": true, "ky": true, "la": true, "md": true, "mass": true,
	"mich": true, "minn": true, "miss": true, "mo": true, "mont": true, "neb": true, "nev": true, "okla": true,
	"ore": true, "pa": true, "tenn": true, "tex": true, "va": true, "vt": true, "wash": true, "wis": true, "wyo": true,
}

// Tokenize splits text into word and punctuation tokens with byte offsets.
// Words keep inner hyphens, apostrophes, ampersands and periods ("al-Assad",
// "O'Neill", "AT&T", "U.S."), numbers keep their separators ("1,000",
// "3.5", "1996-08-22"); a possessive "'s" or a trailing "'" is its own
// token, as in CoNLL-2003. Invalid UTF-8 bytes are treated as symbols.
func Tokenize(text string) []Token {
	return appendTokens(nil, text)
}

// appendTokens appends the tokens of text to dst.
func appendTokens(dst []Token, text string) []Token {
	sentenceStart := true
	i := 0
	for i < len(text) {
		r, size := decodeRune(text, i)
		if r == '\n' || r == '\r' || r == '\u2029' || r == '\u2028' {
			sentenceStart = true
			i += size
			continue
		}
		if unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			i += size
			continue
		}
		end := i + size
		if isApostrophe(r) && i+size < len(text) && (text[i+size] == 's' || text[i+size] == 'S') && wordEndsAt(text, i+size+1) {
			end = i + size + 1
		} else if isWordRune(r) {
			end = scanWord(text, i)
		} else if r == '.' || r == '-' || r == '\u2013' || r == '\u2014' || r == '\'' || r == '\u2019' || r == '\u2018' || r == '`' {
			// Runs like "...", "--" and "''" are one token.
			for end < len(text) {
				r2, s2 := decodeRune(text, end)
				if r2 != r {
					break
				}
				end += s2
			}
		}
		dst = append(dst, Token{Start: i, End: end, SentenceStart: sentenceStart})
		sentenceStart = false
		if end-i == 1 && (text[i] == '.' || text[i] == '?' || text[i] == '!') {
			sentenceStart = true
		}
		i = end
	}
	return dst
}

// scanWord returns the end of the word starting at i, where text[i] is a
// word rune.
func scanWord(text string, i int) int {
	end := i
	for end < len(text) {
		r, size := decodeRune(text, end)
		if isWordRune(r) {
			end += size
			continue
		}
		if !isJoiner(r) {
			break
		}
		// A joiner stays inside the word only when a word rune follows.
		next := end + size
		if next >= len(text) {
			break
		}
		r2, _ := decodeRune(text, next)
		if !isWordRune(r2) {
			break
		}
		if isApostrophe(r) && (r2 == 's' || r2 == 'S') && wordEndsAt(text, next+1) {
			// Possessive "'s" is its own token.
			break
		}
		if r == ',' || r == ':' || r == '/' {
			// Only digit groups ("1,000", "10:30", "1/2") join on these.
			prev, _ := utf8.DecodeLastRuneInString(text[:end])
			if !unicode.IsDigit(prev) || !unicode.IsDigit(r2) {
				break
			}
		}
		end = next
	}
	// A trailing period belongs to abbreviations and initials ("U.S.",
	// "Corp.", "J.").
	if end < len(text) && text[end] == '.' && keepsPeriod(text[i:end]) {
		end++
	}
	return end
}

// wordEndsAt reports whether no word rune starts at i.
func wordEndsAt(text string, i int) bool {
	if i >= len(text) {
		return true
	}
	r, _ := decodeRune(text, i)
	return !isWordRune(r)
}

// keepsPeriod reports whether a word followed by "." is an abbreviation.
func keepsPeriod(word string) bool {
	if utf8.RuneCountInString(word) == 1 {
		r, _ := utf8.DecodeRuneInString(word)
		return unicode.IsLetter(r)
	}
	for j := 0; j < len(word); j++ {
		if word[j] == '.' {
			return true
		}
	}
	if len(word) > 6 {
		return false
	}
	var buf [8]byte
	n := 0
	for j := 0; j < len(word); j++ {
		c := word[j]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[n] = c
		n++
	}
	return abbreviations[string(buf[:n])]
}

func decodeRune(text string, i int) (rune, int) {
	c := text[i]
	if c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(text[i:])
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func isApostrophe(r rune) bool { return r == '\'' || r == '\u2019' }

// isJoiner reports whether r may join two word parts into one token.
func isJoiner(r rune) bool {
	switch r {
	case '-', '\'', '\u2019', '.', '&', ',', ':', '/', '_', '\u2010', '\u2011':
		return true
	}
	return false
}
