package stories

import (
	"testing"
	"time"
)

// FuzzFingerprint feeds arbitrary text (article bodies are outside input)
// to the fingerprint and the index: no panic, a text is identical to
// itself, and an article keeps its story.
func FuzzFingerprint(f *testing.F) {
	for _, s := range []string{wire, other, "", "国連発表", "\xff\xfe bad utf-8 'quote’s", "a b c d e f g h i j k l m n o p"} {
		f.Add(s)
	}
	ix := NewIndex(time.Hour, 1000)
	at := time.Unix(0, 0)
	f.Fuzz(func(t *testing.T, text string) {
		fp, n := Of(text)
		if n < 0 || (n > 0 && n > len(text)) {
			t.Fatalf("%d shingles from %d bytes", n, len(text))
		}
		if fp.Similarity(&fp) != 1 {
			t.Fatal("a fingerprint differs from itself")
		}
		id := string(rune(len(text)%50+'a')) + text
		s := ix.Assign(id, text, at)
		if again := ix.Assign(id, text+" more", at); again != s {
			t.Fatalf("article %q changed story from %s to %s", id, s, again)
		}
	})
}
