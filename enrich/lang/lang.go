// Package lang detects the language of article text, restricted to the
// languages newsflow's feeds carry, and decides between the language a
// feed declares and the one its text shows.
package lang

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pemistahl/lingua-go"
)

// Languages are the ISO 639-1 codes the default detector chooses among:
// the languages of the feeds newsflow reads (see testdata/feeds) and of
// the news a conflict and humanitarian desk follows.
var Languages = []string{
	"en", "fr", "de", "es", "it", "pt", "nl", "pl", "ru", "uk",
	"ar", "fa", "tr", "ur", "hi", "zh", "ja", "ko", "hu", "sk",
	"cs", "sv", "el", "he",
}

// sampleBytes bounds the text a detection reads: n-gram statistics
// settle long before the end of an article (512 bytes are as accurate as
// 2,048 on the fixture feeds), and detection time grows with the text:
// past about 70 trigrams lingua sums probabilities in arbitrary
// precision.
const sampleBytes = 512

// minLetters is the fewest letters a text needs for a reliable
// detection; below it a feed's declared language is trusted instead.
const minLetters = 40

// minConfidence is the detector confidence under which a detection is
// not trusted over a declared language.
const minConfidence = 0.5

// Detector detects languages among a fixed set, with lingua-go's trigram
// models (its low-accuracy mode: on the fixture feeds it is as accurate
// as the full models at a twentieth of the memory; see BenchmarkDetect).
// It is immutable and safe for concurrent use.
type Detector struct {
	detector lingua.LanguageDetector
	version  string
}

// New returns a detector that chooses among codes (ISO 639-1), or among
// Languages when codes is empty. Codes the detector does not know are
// ignored. Its models are loaded here, not on first use.
func New(codes ...string) *Detector {
	if len(codes) == 0 {
		codes = Languages
	}
	var isos []lingua.IsoCode639_1
	for _, c := range codes {
		if iso := lingua.GetIsoCode639_1FromValue(Normalize(c)); iso != lingua.UnknownIsoCode639_1 && !slices.Contains(isos, iso) {
			isos = append(isos, iso)
		}
	}
	if len(isos) < 2 {
		// lingua needs two languages to choose between; a single one is
		// what every text is.
		isos = append(isos, lingua.EN, lingua.FR)
	}
	d := lingua.NewLanguageDetectorBuilder().
		FromIsoCodes639_1(isos...).
		WithLowAccuracyMode().
		WithPreloadedLanguageModels().
		Build()
	return &Detector{detector: d, version: "lingua-1.4.0-low"}
}

// Version names the detector and its models, part of the enrich version.
func (d *Detector) Version() string { return d.version }

// Result is one detection.
type Result struct {
	// Code is the ISO 639-1 code, or "" when nothing was detected.
	Code string
	// Confidence is the detector's confidence, 0 to 1.
	Confidence float64
	// Reliable says the text was long and clear enough for the result to
	// win over a feed's declared language.
	Reliable bool
}

// Detect returns the language of text. Markup-free text is expected;
// digits, punctuation and URLs count for nothing.
func (d *Detector) Detect(text string) Result {
	sample := Sample(text)
	letters := 0
	for _, r := range sample {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	if letters == 0 {
		return Result{}
	}
	values := d.detector.ComputeLanguageConfidenceValues(sample)
	if len(values) == 0 || values[0].Value() == 0 || len(values) > 1 && values[0].Value() == values[1].Value() {
		return Result{}
	}
	top := values[0]
	code := strings.ToLower(top.Language().IsoCode639_1().String())
	if latinScript[code] && englishProse(text) {
		// Trigrams are swayed by names: a results table of a cycling tour
		// in the Netherlands reads as Dutch. Function words are not.
		if c := d.detector.ComputeLanguageConfidence(sample, lingua.English); c > 0 {
			return Result{Code: "en", Confidence: c, Reliable: true}
		}
	}
	return Result{
		Code:       code,
		Confidence: top.Value(),
		Reliable:   top.Value() >= minConfidence && (letters >= minLetters || isSingleScript(code) && letters >= minLetters/4),
	}
}

// isSingleScript reports whether the language's script identifies it
// among Languages, so few letters suffice.
func isSingleScript(code string) bool {
	switch code {
	case "ja", "ko", "el", "he", "zh", "hi":
		return true
	}
	return false
}

// Choose returns the article's language from what its feed declared
// (any case, region subtags allowed: "en-US") and what its text shows.
// A reliable detection wins, since feeds often declare one language for
// everything they carry; otherwise the declaration stands, and without
// one the unreliable detection is better than nothing.
func Choose(declared string, detected Result) string {
	declared = Normalize(declared)
	switch {
	case detected.Code != "" && detected.Reliable:
		return detected.Code
	case declared != "":
		return declared
	default:
		return detected.Code
	}
}

// Normalize returns the ISO 639-1 primary subtag of a language tag such
// as "en-US", "EN_gb" or "de", or "" when tag does not start with one.
func Normalize(tag string) string {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	if len(tag) != 2 || !isASCIILetter(tag[0]) || !isASCIILetter(tag[1]) {
		return ""
	}
	return strings.ToLower(tag)
}

func isASCIILetter(b byte) bool { return 'a' <= b|0x20 && b|0x20 <= 'z' }

// Sample returns at most sampleBytes of text, cut at a rune boundary.
func Sample(text string) string {
	if len(text) <= sampleBytes {
		return text
	}
	cut := sampleBytes
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut]
}

// englishFunctionWords are frequent English words that no other language
// of Languages uses as words of its own.
var englishFunctionWords = map[string]bool{
	"the": true, "of": true, "and": true, "to": true, "said": true, "with": true,
	"that": true, "from": true, "which": true, "were": true, "after": true, "their": true,
}

// latinScript are the languages of Languages other than English written
// in the Latin alphabet, which English text with many names can be taken
// for.
var latinScript = map[string]bool{
	"fr": true, "de": true, "es": true, "it": true, "pt": true, "nl": true, "pl": true,
	"tr": true, "hu": true, "sk": true, "cs": true, "sv": true,
}

// englishProse reports whether text reads as English by its function
// words: at least 5 of them, and at least 6% of its words (English news
// prose has 15 to 20%), within the first 16 KiB.
func englishProse(text string) bool {
	if len(text) > 16<<10 {
		text = text[:16<<10]
	}
	words, hits := 0, 0
	for w := range strings.FieldsFuncSeq(text, func(r rune) bool { return !unicode.IsLetter(r) }) {
		words++
		if len(w) <= 5 && englishFunctionWords[strings.ToLower(w)] {
			hits++
		}
	}
	return hits >= 5 && float64(hits) >= 0.06*float64(words)
}
