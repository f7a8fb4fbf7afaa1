package lang

import (
	"runtime"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/enrich/internal/fixture"
)

// feedLanguages is the language of every item of each fixture feed, read
// from the feed's own declaration or, where it has none, from its
// publisher (see testdata/SOURCES.md). Feeds whose items are code, commit
// messages or titles only are left out.
var feedLanguages = map[string]string{
	"atom03-shiftjis-milliontimes.xml":                    "ja",
	"atom10-daringfireball-xmlbase.xml":                   "en",
	"atom10-reddit-mediarss.xml":                          "en",
	"jsonfeed10-daringfireball.json":                      "en",
	"jsonfeed10-pxlnv-http-version-uri.json":              "en",
	"jsonfeed11-3960-fboes.json":                          "de",
	"rss090-rdf-heise.xml":                                "de",
	"rss091-iso88591-tjrs-court-news.xml":                 "pt",
	"rss091-koi8r-aif-health-doctype.xml":                 "ru",
	"rss10-big5-coolloud.xml":                             "zh",
	"rss10-biorxiv-no-xmldecl.rdf":                        "en",
	"rss10-windows1250-bbc-hungarian-duplicate-items.xml": "hu",
	"rss20-aktuality-sk-invalid-image-in-item.xml":        "sk",
	"rss20-bbc-urdu-rtl.xml":                              "ur",
	"rss20-bbc-world-2017-cdata.xml":                      "en",
	"rss20-donthitsave-utf8-bom-cr-newlines.xml":          "en",
	"rss20-dustri-very-long-items.xml":                    "en",
	"rss20-gb2312-kc0011-nonrfc-dates.xml":                "zh",
	"rss20-gdacs-disaster-alerts-bom-crlf.xml":            "en",
	"rss20-guardian-international-reformatted.xml":        "en",
	"rss20-huffpost-worldnews-enclosures.xml":             "en",
	"rss20-ilgiornale-double-escaped-entities.xml":        "it",
	"rss20-ilmessaggero-mondo-noxmldecl-mojibake.xml":     "it",
	"rss20-iso88591-golem.xml":                            "de",
	"rss20-koi8r-newsru.xml":                              "ru",
	"rss20-livemint-news-guid-not-permalink.xml":          "en",
	"rss20-macworld-no-guid-relative-links.xml":           "en",
	"rss20-rappler-kerry-lavrov-syria-reference.xml":      "en",
	"rss20-reuters-worldnews-feedburner.xml":              "en",
	"rss20-theomnishow-podcast-enclosures.xml":            "en",
	"rss20-windows1251-ibash.xml":                         "ru",
	"rss20-windows1251-newsru.xml":                        "ru",
}

// labelled is one feed item with the language of its feed.
type labelled struct {
	feed, want, text string
}

// feedItems reads the title and description text of every item of the
// fixture feeds whose language is known.
func feedItems(tb testing.TB) []labelled {
	tb.Helper()
	var out []labelled
	for name, want := range feedLanguages {
		items, err := fixture.Feed(name)
		if err != nil {
			tb.Fatal(err)
		}
		for _, it := range items {
			text := strings.TrimSpace(it.Title + "\n" + it.Text)
			if text != "" {
				out = append(out, labelled{feed: name, want: want, text: text})
			}
		}
	}
	return out
}

// accuracy returns the share of items whose chosen language is the
// feed's, detecting from the text alone.
func accuracy(items []labelled, detect func(string) string) (float64, map[string][2]int) {
	perFeed := map[string][2]int{}
	right := 0
	for _, it := range items {
		c := perFeed[it.feed]
		if detect(it.text) == it.want {
			right++
			c[0]++
		}
		c[1]++
		perFeed[it.feed] = c
	}
	return float64(right) / float64(len(items)), perFeed
}

// TestAccuracyOnFixtureFeeds measures detection on every item of the
// fixture feeds against the feed's language.
func TestAccuracyOnFixtureFeeds(t *testing.T) {
	items := feedItems(t)
	d := New()
	acc, perFeed := accuracy(items, func(s string) string { return d.Detect(s).Code })
	for feed, c := range perFeed {
		if float64(c[0]) < 0.8*float64(c[1]) {
			t.Errorf("%s (%s): %d of %d items right", feed, feedLanguages[feed], c[0], c[1])
		}
	}
	t.Logf("accuracy on %d fixture feed items: %.3f", len(items), acc)
	if acc < 0.95 {
		t.Errorf("accuracy %.3f on %d items, want ≥ 0.95", acc, len(items))
	}
}

// BenchmarkDetect reports the accuracy of the detector New builds on the
// fixture feed items and the heap its models keep (MiB-kept), next to the
// time per item.
func BenchmarkDetect(b *testing.B) {
	benchDetector(b, func() func(string) string {
		d := New()
		return func(s string) string { return d.Detect(s).Code }
	})
}

// benchDetector measures the detector that build returns.
func benchDetector(b *testing.B, build func() func(string) string) {
	items := feedItems(b)
	before := heapInUse()
	detect := build()
	detect("warm up")
	kept := heapInUse() - before
	acc, _ := accuracy(items, detect)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		detect(items[i%len(items)].text)
	}
	b.ReportMetric(acc, "accuracy")
	b.ReportMetric(float64(kept)/(1<<20), "MiB-kept")
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}
