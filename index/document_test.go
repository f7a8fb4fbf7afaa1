package index

import (
	"strings"
	"testing"
	"unicode"
)

func TestWordCount(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"   ", 0},
		{"one", 1},
		{" Kerry, Lavrov  meet\ton\nSyria ", 5},
		{"Владимир Путин\u00a0встретился", 3}, // no-break space separates
		{"日本語のテキスト", 1},
		{"a\u2003b\u3000c", 3}, // em space, ideographic space
	}
	for _, tt := range tests {
		if got := wordCount(tt.in); got != tt.want {
			t.Errorf("wordCount(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func FuzzWordCount(f *testing.F) {
	f.Add("Kerry, Lavrov meet on Syria")
	f.Add("a\u00a0b\xffc")
	f.Fuzz(func(t *testing.T, s string) {
		// The table must agree with unicode.IsSpace, which strings.FieldsFunc uses.
		if got, want := wordCount(s), len(strings.FieldsFunc(s, unicode.IsSpace)); got != want {
			t.Errorf("wordCount(%q) = %d, strings.FieldsFunc gives %d", s, got, want)
		}
	})
}
