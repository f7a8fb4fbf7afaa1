package geo

import "testing"

func TestNameKey(t *testing.T) {
	tests := []struct {
		name, in, want string
		words          int
	}{
		{"plain", "Aleppo", "aleppo", 1},
		{"hyphen", "Winston-Salem", "winston salem", 2},
		{"spaces", "New  York City", "new york city", 3},
		{"accents", "Genève", "geneve", 1},
		{"abbreviation", "U.S.", "us", 1},
		{"apostrophe", "Côte d’Ivoire", "cote d'ivoire", 2},
		{"possessive", "Syria's", "syria", 1},
		{"empty", "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n := nameKey(tt.in)
			if got != tt.want || n != tt.words {
				t.Errorf("nameKey(%q) = %q, %d; want %q, %d", tt.in, got, n, tt.want, tt.words)
			}
			// The fast path must agree with the tokenizer.
			toks := tokenize(tt.in, nil)
			if len(toks) != n {
				t.Errorf("tokenize(%q) gives %d tokens, nameKey %d", tt.in, len(toks), n)
			}
		})
	}
}

func TestTokenizeSpans(t *testing.T) {
	text := "In Ankara's east, U.S.-backed fighters – O'Hare."
	toks := tokenize(text, nil)
	var got []string
	for _, tk := range toks {
		got = append(got, text[tk.start:tk.end])
	}
	want := []string{"In", "Ankara", "east", "U.S.", "backed", "fighters", "O'Hare"}
	if len(got) != len(want) {
		t.Fatalf("tokens %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("token %d = %q, want %q", i, got[i], want[i])
		}
	}
	if toks[2].gap != gapBreak {
		t.Errorf("a possessive must end a name: gap before %q = %d", got[2], toks[2].gap)
	}
}
