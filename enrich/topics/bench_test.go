package topics

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/pkg/article"
)

// BenchmarkTag tags the fixture article texts with the deployed taxonomy,
// one article per operation.
func BenchmarkTag(b *testing.B) {
	files, err := filepath.Glob("../../testdata/articles/*.txt")
	if err != nil || len(files) == 0 {
		b.Fatalf("no fixture articles: %v", err)
	}
	var arts [][]Field
	bytes := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		title, body, _ := strings.Cut(string(raw), "\n")
		arts = append(arts, []Field{{article.FieldTitle, title}, {article.FieldContent, body}})
		bytes += len(raw)
	}
	tg := loadTagger(b)
	b.SetBytes(int64(bytes / len(arts)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		tg.Tag(arts[i%len(arts)]...)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
}

// BenchmarkTagRepetitive tags a hostile 200 kB text of one repeated rule
// word, the worst case for proximity conditions.
func BenchmarkTagRepetitive(b *testing.B) {
	tg := loadTagger(b)
	text := strings.Repeat("aid attack chlorine ", 10000)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		tg.Tag(Field{article.FieldContent, text})
	}
}
