package entities

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"conll spaced", "EU rejects German call to boycott British lamb .", []string{"EU", "rejects", "German", "call", "to", "boycott", "British", "lamb", "."}},
		{"sentence end", "He went to Iraq.", []string{"He", "went", "to", "Iraq", "."}},
		{"abbreviations", "The U.S. and Acme Corp. met Mr. Smith in Jan. 1996.", []string{"The", "U.S.", "and", "Acme", "Corp.", "met", "Mr.", "Smith", "in", "Jan.", "1996", "."}},
		{"initials", "J. R. R. Tolkien", []string{"J.", "R.", "R.", "Tolkien"}},
		{"possessive", "Ankara's decision and Kerry\u2019s plan", []string{"Ankara", "'s", "decision", "and", "Kerry", "\u2019s", "plan"}},
		{"spaced possessive", "Ankara 's decision", []string{"Ankara", "'s", "decision"}},
		{"plural possessive", "Kurdistan Workers' Party", []string{"Kurdistan", "Workers", "'", "Party"}},
		{"hyphens", "Bashar al-Assad and war-ravaged, US-backed forces", []string{"Bashar", "al-Assad", "and", "war-ravaged", ",", "US-backed", "forces"}},
		{"quotes", `would be "important", he said`, []string{"would", "be", `"`, "important", `"`, ",", "he", "said"}},
		{"curly quotes", "\u201cExcellent\u201d.", []string{"\u201c", "Excellent", "\u201d", "."}},
		{"numbers", "290,000 people, 3.5 percent, 1996-08-22 at 10:30 and 48-hour", []string{"290,000", "people", ",", "3.5", "percent", ",", "1996-08-22", "at", "10:30", "and", "48-hour"}},
		{"brackets", "(IS, formerly ISIS)", []string{"(", "IS", ",", "formerly", "ISIS", ")"}},
		{"ampersand", "AT&T and S&P 500", []string{"AT&T", "and", "S&P", "500"}},
		{"dash", "UPDATE) \u2013 US", []string{"UPDATE", ")", "\u2013", "US"}},
		{"ellipsis", "wait... what", []string{"wait", "...", "what"}},
		{"apostrophe name", "O'Neill said", []string{"O'Neill", "said"}},
		{"accents", "Erdoğan in Zürich", []string{"Erdoğan", "in", "Zürich"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, tok := range Tokenize(tc.text) {
				got = append(got, tc.text[tok.Start:tok.End])
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("Tokenize(%q)\n got %q\nwant %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestTokenizeSentences(t *testing.T) {
	text := "Kerry met Lavrov. They talked\nGENEVA 1996-08-22"
	var starts []string
	for _, tok := range Tokenize(text) {
		if tok.SentenceStart {
			starts = append(starts, text[tok.Start:tok.End])
		}
	}
	if want := "Kerry They GENEVA"; strings.Join(starts, " ") != want {
		t.Errorf("sentence starts %q, want %q", starts, want)
	}
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"", "U.S. al-Assad's 1,000 \"quoted\" (IS)", "Kerry\u2019s \u201cplan\u201d \u2013 ok...", "\xff\xfe'", "a'", "'s", "x.-y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		prev := 0
		for _, tok := range Tokenize(text) {
			if tok.Start < prev || tok.End <= tok.Start || tok.End > len(text) {
				t.Fatalf("token [%d,%d) after %d in %d bytes", tok.Start, tok.End, prev, len(text))
			}
			if utf8.ValidString(text) && (!utf8.RuneStart(text[tok.Start]) || (tok.End < len(text) && !utf8.RuneStart(text[tok.End]))) {
				t.Fatalf("token [%d,%d) splits a rune", tok.Start, tok.End)
			}
			if strings.TrimSpace(text[tok.Start:tok.End]) != text[tok.Start:tok.End] {
				t.Fatalf("token %q has spaces", text[tok.Start:tok.End])
			}
			prev = tok.End
		}
	})
}

func FuzzTag(f *testing.F) {
	f.Add("Kerry, Lavrov meet on Syria conflict\n\nGENEVA (IS) \u2013 de Mistura's U.N. team.")
	f.Add("\xff(\"")
	tg := tagger(f)
	f.Fuzz(func(t *testing.T, text string) {
		prev := 0
		for _, m := range tg.Tag(text) {
			if m.Start < prev || m.End <= m.Start || m.End > len(text) {
				t.Fatalf("mention %+v after %d in %d bytes", m, prev, len(text))
			}
			prev = m.End
		}
	})
}
