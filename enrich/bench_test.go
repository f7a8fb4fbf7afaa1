package enrich

import (
	"bufio"
	"os"
	"runtime"
	rtmetrics "runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/newsflow/newsflow/enrich/internal/fixture"
	"github.com/newsflow/newsflow/enrich/stories"
	"github.com/newsflow/newsflow/pkg/article"
)

// fixtureArticles are the fixture article texts as articles.
func fixtureArticles(tb testing.TB) []article.Article {
	tb.Helper()
	items, err := fixture.Articles()
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]article.Article, len(items))
	for i, it := range items {
		out[i] = article.Article{ID: strconv.Itoa(i), Title: it.Title, Content: it.Text, PublishedAt: time.Now()}
	}
	return out
}

// BenchmarkEnrich is the whole enrich function on the fixture articles
// (language, entities, places, topics): one op is one article, so ns/op
// and allocs/op are per article, and articles/s is on one goroutine.
func BenchmarkEnrich(b *testing.B) {
	en := loadFull(b)
	arts := fixtureArticles(b)
	var bytes int
	for _, a := range arts {
		bytes += len(a.Title) + len(a.Content)
	}
	now := time.Now()
	b.SetBytes(int64(bytes / len(arts)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		en.Enrich(arts[i%len(arts)], now)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
}

// BenchmarkEnrichParallel is BenchmarkEnrich on every CPU, as the
// worker's lanes run it.
func BenchmarkEnrichParallel(b *testing.B) {
	en := loadFull(b)
	arts := fixtureArticles(b)
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			en.Enrich(arts[i%len(arts)], now)
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
}

// BenchmarkEnrichAndStory adds the story assignment and the encoding the
// worker does for each article, with a story index of 50,000 articles.
func BenchmarkEnrichAndStory(b *testing.B) {
	en := loadFull(b)
	arts := fixtureArticles(b)
	idx := stories.NewIndex(72*time.Hour, 50000)
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		a := arts[i%len(arts)]
		a.ID = strconv.Itoa(i)
		out := en.Enrich(a, now)
		out.StoryID = idx.Assign(out.ID, StoryText(&out), out.PublishedAt)
		if _, err := article.Encode(&out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
}

// BenchmarkPeakMemory loads every model, enriches the fixture articles
// on every CPU and fills a story index to its default size (100,000
// articles), then reports the live heap and the process's peak resident
// memory (VmHWM). Run it alone (-bench '^BenchmarkPeakMemory$
// -benchtime 1x'), in a fresh process, for the peak to be this
// benchmark's. The goal is 600 MiB.
func BenchmarkPeakMemory(b *testing.B) {
	for b.Loop() {
		en, err := Load("../deploy/taxonomy.yaml")
		if err != nil {
			b.Fatal(err)
		}
		arts := fixtureArticles(b)
		idx := stories.NewIndex(72*time.Hour, 100000)
		now := time.Now()
		done := make(chan struct{})
		for w := range runtime.GOMAXPROCS(0) {
			go func() {
				defer func() { done <- struct{}{} }()
				for i := w; i < 100000; i += runtime.GOMAXPROCS(0) {
					a := arts[i%len(arts)]
					a.ID = strconv.Itoa(i)
					if i%100 == 0 {
						a = en.Enrich(a, now)
					}
					// Distinct texts, so every article has a fingerprint
					// of its own in the index.
					idx.Assign(a.ID, a.Title+" "+strconv.Itoa(i)+" "+a.Content, now)
				}
			}()
		}
		for range runtime.GOMAXPROCS(0) {
			<-done
		}
		runtime.GC()
		sample := []rtmetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		rtmetrics.Read(sample)
		b.ReportMetric(float64(sample[0].Value.Uint64())/(1<<20), "MiB-heap-live")
		b.ReportMetric(float64(vmHWM(b))/(1<<20), "MiB-peak-rss")
		b.ReportMetric(float64(idx.Len()), "stories-remembered")
		runtime.KeepAlive(en)
	}
}

// vmHWM returns the peak resident set size of this process, in bytes.
func vmHWM(tb testing.TB) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		tb.Skip("no /proc/self/status: ", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return kb << 10
		}
	}
	tb.Skip("no VmHWM in /proc/self/status")
	return 0
}
