package entities

import (
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkTag reports the tagging speed on eng.testa, in tokens per
// second on one core.
func BenchmarkTag(b *testing.B) {
	docs := readConllFile(b, filepath.Join(dataDir(b), "conll2003", "eng.testa"))
	tg := tagger(b)
	tokens, bytes := 0, 0
	for _, d := range docs {
		tokens += len(Tokenize(d.Text))
		bytes += len(d.Text)
	}
	b.SetBytes(int64(bytes))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, d := range docs {
			tg.Tag(d.Text)
		}
	}
	b.ReportMetric(float64(tokens)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkEntities reports the speed of tagging and resolving the
// reference story, per article.
func BenchmarkEntities(b *testing.B) {
	fields := storyFields(b, "story-kerry-lavrov-geneva-syria-2016.txt")
	tg := tagger(b)
	tokens := 0
	for _, f := range fields {
		tokens += len(Tokenize(f.Text))
	}
	b.ReportAllocs()
	for b.Loop() {
		tg.Entities(fields...)
	}
	b.ReportMetric(float64(tokens)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkTokenize reports the tokenizer's speed on news text.
func BenchmarkTokenize(b *testing.B) {
	fields := storyFields(b, "story-kerry-lavrov-geneva-syria-2016.txt")
	text := strings.Repeat(fields[1].Text, 10)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		Tokenize(text)
	}
}

// BenchmarkLoad reports the start-up cost of the embedded model.
func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
}
