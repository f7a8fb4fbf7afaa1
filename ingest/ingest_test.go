package ingest

import (
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/newsflow/newsflow/pkg/article"
)

var fetched = time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)

func parseFixture(t *testing.T, name string) []*article.Article {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../testdata/feeds", name))
	if err != nil {
		t.Fatal(err)
	}
	u := "http://127.0.0.1:8089/feeds/" + name
	arts, _, err := Parse(Feed{URL: u}, b, u, fetched)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return arts
}

// TestFixtureFeeds checks that every fixture feed either parses into
// well-formed articles or fails with an error naming the feed.
func TestFixtureFeeds(t *testing.T) {
	files, _ := filepath.Glob("../testdata/feeds/*")
	if len(files) < 39 {
		t.Fatalf("found %d fixture feeds", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, _ := os.ReadFile(f)
			u := "http://127.0.0.1:8089/feeds/" + filepath.Base(f)
			arts, _, err := Parse(Feed{URL: u}, b, u, fetched)
			if err != nil {
				if !strings.Contains(err.Error(), u) {
					t.Errorf("error %q does not name the feed", err)
				}
				return
			}
			ids := map[string]bool{}
			for _, a := range arts {
				if ids[a.ID] {
					t.Errorf("id %s twice", a.ID)
				}
				ids[a.ID] = true
				if strings.ContainsAny(a.Title, "\n\r\t") {
					t.Errorf("title %q is not one line", a.Title)
				}
				if a.Title == "" && a.URL == "" {
					t.Errorf("article %s has neither title nor link", a.ID)
				}
				for _, s := range []string{a.Title, a.Summary, a.Content} {
					if !utf8.ValidString(s) || strings.ContainsAny(s, "\uFFFD\x00") && !strings.Contains(f, "mojibake") {
						t.Errorf("article %q has invalid or replaced text", a.Title)
					}
				}
				if a.PublishedAt.IsZero() || a.FetchedAt != fetched {
					t.Errorf("article %q: published %v, fetched %v", a.Title, a.PublishedAt, a.FetchedAt)
				}
			}
		})
	}
}

func TestMalformedFeedsFailClearly(t *testing.T) {
	for _, name := range []string{"rss20-reuters-mostread-truncated-malformed.xml", "jsonfeed10-allthis-truncated-malformed.json"} {
		b, _ := os.ReadFile(filepath.Join("../testdata/feeds", name))
		if _, _, err := Parse(Feed{URL: "http://x/" + name}, b, "http://x/"+name, fetched); err == nil {
			t.Errorf("%s parsed without error", name)
		}
	}
}

func TestNormalization(t *testing.T) {
	t.Run("reference story", func(t *testing.T) {
		arts := parseFixture(t, "rss20-rappler-kerry-lavrov-syria-reference.xml")
		if len(arts) != 1 {
			t.Fatalf("%d articles", len(arts))
		}
		a := arts[0]
		if a.URL != "https://www.rappler.com/world/middle-east/kerry-lavrov-meet-syria-conflict" {
			t.Errorf("url %s still has tracking parameters or lost its path", a.URL)
		}
		if !strings.Contains(a.Content, "Staffan de Mistura") || strings.Contains(a.Content, "<p>") {
			t.Errorf("content is not the story's clean text: %.200q", a.Content)
		}
		if a.PublishedAt != time.Date(2016, 8, 26, 10, 0, 0, 0, time.UTC) || a.PublishedInferred {
			t.Errorf("published %v inferred=%v", a.PublishedAt, a.PublishedInferred)
		}
		if a.Source.Domain != "rappler.com" || len(a.Authors) != 1 || a.Authors[0] != "Agence France-Presse" {
			t.Errorf("source %+v authors %v", a.Source, a.Authors)
		}
	})
	t.Run("feedburner original link", func(t *testing.T) {
		for _, a := range parseFixture(t, "rss20-reuters-worldnews-feedburner.xml") {
			if !strings.HasPrefix(a.URL, "https://www.reuters.com/") && !strings.HasPrefix(a.URL, "http://www.reuters.com/") {
				t.Errorf("url %s is not the origLink on reuters.com", a.URL)
			}
			if strings.Contains(a.Summary, "feedsportal") || strings.Contains(a.Summary, "<img") {
				t.Errorf("summary keeps feed furniture: %.120q", a.Summary)
			}
		}
	})
	t.Run("missing dates are inferred", func(t *testing.T) {
		for _, a := range parseFixture(t, "rss090-rdf-heise.xml") {
			if !a.PublishedInferred || !a.PublishedAt.Equal(fetched) {
				t.Errorf("undated item %q: published %v inferred=%v", a.Title, a.PublishedAt, a.PublishedInferred)
			}
		}
	})
	t.Run("windows-1251 and koi8-r twins decode alike", func(t *testing.T) {
		w := parseFixture(t, "rss20-windows1251-newsru.xml")
		k := parseFixture(t, "rss20-koi8r-newsru.xml")
		if len(w) != len(k) || len(w) == 0 {
			t.Fatalf("%d vs %d articles", len(w), len(k))
		}
		for i := range w {
			if w[i].Title != k[i].Title {
				t.Errorf("item %d: %q vs %q", i, w[i].Title, k[i].Title)
			}
		}
		if !strings.Contains(w[0].Title, "Турции") {
			t.Errorf("title %q is not Russian text", w[0].Title)
		}
	})
}

func TestHTMLText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "  Hello   world \n", "Hello world"},
		{"tags and entities", "<p>Tom &amp; Jerry&#39;s <b>show</b></p><p>Next</p>", "Tom & Jerry's show\n\nNext"},
		{"script dropped", "<p>Keep</p><script>var x = '<p>no</p>';</script><style>p{}</style>", "Keep"},
		{"br is a line", "a<br>b<br/>c", "a\nb\nc"},
		{"nbsp", "a&nbsp;b", "a b"},
		{"double escaped stays text", "&amp;#39;", "&#39;"},
		{"crlf", "one\r\ntwo", "one\ntwo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HTMLText(tt.in); got != tt.want {
				t.Errorf("HTMLText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseFeedsRejects(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", "empty"},
		{"no feeds", "feeds: []", "no feeds"},
		{"unknown key", "feeds:\n- url: https://a.example/rss\n  colour: red", "colour"},
		{"relative url", "feeds:\n- url: /rss", "feeds[0]: url \"/rss\""},
		{"duplicate", "feeds:\n- url: https://a.example/rss\n- url: https://a.example/rss", "feeds[1]: url https://a.example/rss is already feeds[0]"},
		{"bad country", "feeds:\n- url: https://a.example/rss\n  country: GBR", "country"},
		{"bad language", "feeds:\n- url: https://a.example/rss\n  language: english", "language"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFeeds([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseFeeds() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestBundledFeedListsLoad(t *testing.T) {
	for _, p := range []string{"../deploy/feeds.yaml", "../testdata/demo-feeds.yaml"} {
		if feeds, err := LoadFeeds(p); err != nil || len(feeds) < 10 {
			t.Errorf("%s: %d feeds, %v", p, len(feeds), err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"rss20-bbc-world-2017-cdata.xml", "atom10-github-commits-media-thumbnail.xml", "jsonfeed10-pxlnv-http-version-uri.json", "rss090-rdf-heise.xml"} {
		b, err := os.ReadFile(filepath.Join("../testdata/feeds", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		arts, _, err := Parse(Feed{URL: "http://127.0.0.1/feed"}, body, "http://127.0.0.1/feed", fetched)
		if err != nil {
			return
		}
		for _, a := range arts {
			if a.ID == "" || !utf8.ValidString(a.Title) {
				t.Fatalf("article without id or with invalid title: %+v", a)
			}
			if _, err := article.Encode(a); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzCanonicalItemURL(f *testing.F) {
	for _, s := range []string{
		"https://www.rappler.com/world/kerry-lavrov?utm_source=rss&utm_medium=feed#top",
		"HTTP://Example.COM:80/a/../b?b=2&a=1&fbclid=x",
		"http://scripting.com/2017/06/26.html#a080605",
		"//no-scheme.example/x",
		"https://[::1]:443/%zz",
	} {
		f.Add(s, "http://base.example/feed")
	}
	f.Fuzz(func(t *testing.T, link, base string) {
		b, err := url.Parse(base)
		if err != nil {
			return
		}
		u, err := resolve(b, link)
		if err != nil {
			return
		}
		c, err := canonicalItemURL(u, map[string]bool{})
		if err != nil {
			return
		}
		// Canonical URLs are fixed points and carry no tracking.
		again, err := article.CanonicalURL(c)
		if err != nil || again != c {
			t.Fatalf("canonical %q of %q canonicalizes to %q, %v", c, link, again, err)
		}
		if strings.Contains(c, "utm_") && !strings.Contains(u.Path, "utm_") && !strings.Contains(u.Host, "utm_") {
			q, _ := url.ParseQuery(u.RawQuery)
			for k := range q {
				if strings.HasPrefix(strings.ToLower(k), "utm_") {
					t.Fatalf("canonical %q keeps a utm_ parameter", c)
				}
			}
		}
	})
}

func FuzzParseOPML(f *testing.F) {
	b, err := os.ReadFile("../deploy/feeds.opml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`<opml><body><outline text="x" xmlUrl="http://a.example/rss"/></body></opml>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		feeds, err := ParseOPML(doc)
		if err != nil {
			return
		}
		for _, fd := range feeds {
			if u, err := url.Parse(fd.URL); err != nil || u.Host == "" {
				t.Fatalf("feed with unusable url %q", fd.URL)
			}
		}
	})
}

func TestOPML(t *testing.T) {
	feeds, err := LoadFeedList("../deploy/feeds.opml")
	if err != nil {
		t.Fatal(err)
	}
	if len(feeds) < 5 {
		t.Fatalf("%d feeds", len(feeds))
	}
	var syria *Feed
	for i := range feeds {
		if strings.Contains(feeds[i].URL, "syria") {
			syria = &feeds[i]
		}
	}
	if syria == nil || syria.Language != "en" || syria.Country != "GB" || !slices.Contains(syria.Tags, "Middle East") || !syria.FullText || syria.MaxInterval != time.Hour {
		t.Errorf("the Guardian Syria outline read as %+v", syria)
	}
	for _, tt := range []struct{ name, in, want string }{
		{"not opml", "<rss/>", "not an OPML document"},
		{"no feeds", "<opml><body><outline text='empty folder'/></body></opml>", "no outline"},
		{"bad url", "<opml><body><outline text='x' xmlUrl='ftp://a/b'/></body></opml>", `outline[1] ("x"): url`},
		{"bad option", "<opml><body><outline text='x' xmlUrl='http://a.example/' fullText='maybe'/></body></opml>", "fullText"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseOPML([]byte(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestFixtureGaps(t *testing.T) {
	if arts := parseFixture(t, "rss20-scriptingnews-duplicate-guids.xml"); len(arts) != 48 {
		t.Errorf("scriptingnews: %d articles, want 50 items less 2 duplicate guids", len(arts))
	}
	if arts := parseFixture(t, "rss092-userland-gratefuldead-enclosures.xml"); len(arts) != 3 {
		t.Errorf("RSS 0.92 items without link or guid: %d articles, want 3", len(arts))
	}
	arts := parseFixture(t, "rss20-iso88591-no-xmldecl-cerclepsy.xml")
	if len(arts) != 9 || !strings.Contains(arts[0].Title, "Perturbateurs endocriniens") {
		t.Fatalf("cerclepsy: %d articles", len(arts))
	}
	for _, a := range arts {
		if strings.ContainsRune(a.Title+a.Summary, '\uFFFD') {
			t.Errorf("cerclepsy %q is not clean UTF-8", a.Title)
		}
	}
}

// TestFixtureArticles pins what each fixture feed comes out as: its
// number of articles (duplicates merged, empty items skipped) and, for
// the legacy charsets, the first title in the right script.
func TestFixtureArticles(t *testing.T) {
	tests := []struct {
		file  string
		n     int
		title string // the first article's title contains this
	}{
		{"atom03-shiftjis-milliontimes.xml", 15, "ビルドとステアの違い"},
		{"atom10-daringfireball-xmlbase.xml", 47, ""}, // two linked-list posts point at one URL
		{"atom10-github-commits-media-thumbnail.xml", 20, ""},
		{"atom10-reddit-mediarss.xml", 25, ""},
		{"jsonfeed10-daringfireball.json", 48, ""},
		{"jsonfeed10-pxlnv-http-version-uri.json", 20, ""},
		{"jsonfeed11-3960-fboes.json", 20, ""},
		{"rss090-rdf-heise.xml", 60, ""},
		{"rss091-iso88591-tjrs-court-news.xml", 1, "Comitê completa 150 dias de atuação"},
		{"rss091-koi8r-aif-health-doctype.xml", 17, "Как пережить новогоднюю ночь"},
		{"rss092-userland-gratefuldead-enclosures.xml", 3, "Grateful Dead"},
		{"rss10-big5-coolloud.xml", 20, "不見棺材不走人"},
		{"rss10-biorxiv-no-xmldecl.rdf", 30, ""},
		{"rss10-windows1250-bbc-hungarian-duplicate-items.xml", 55, "még évekig tarthat a lázadás"},
		{"rss20-aktuality-sk-invalid-image-in-item.xml", 30, ""},
		{"rss20-bbc-urdu-rtl.xml", 26, "امریکی عسکری امداد"},
		{"rss20-bbc-world-2017-cdata.xml", 3, ""},
		{"rss20-donthitsave-utf8-bom-cr-newlines.xml", 10, ""},
		{"rss20-dustri-very-long-items.xml", 25, ""},
		{"rss20-gb2312-acnnewswire.xml", 8, "中国银联"},
		{"rss20-gb2312-kc0011-nonrfc-dates.xml", 20, "建国35周年纪念"},
		{"rss20-gdacs-disaster-alerts-bom-crlf.xml", 20, ""}, // three items repeated
		{"rss20-guardian-international-reformatted.xml", 99, ""},
		{"rss20-huffpost-worldnews-enclosures.xml", 31, ""},
		{"rss20-ilgiornale-double-escaped-entities.xml", 1, ""},
		{"rss20-ilmessaggero-mondo-noxmldecl-mojibake.xml", 1, "Missili Polonia"},
		{"rss20-iso88591-golem.xml", 40, "Hinweise auf PC-Umsetzung"},
		{"rss20-iso88591-no-xmldecl-cerclepsy.xml", 9, "Perturbateurs endocriniens"}, // one empty item
		{"rss20-koi8r-newsru.xml", 30, "Турции"},
		{"rss20-kryogenix-relative-enclosure-url.xml", 1, ""},
		{"rss20-livemint-news-guid-not-permalink.xml", 25, ""},
		{"rss20-macworld-no-guid-relative-links.xml", 30, ""},
		{"rss20-rappler-kerry-lavrov-syria-reference.xml", 1, "Kerry, Lavrov meet on Syria conflict"},
		{"rss20-reuters-worldnews-feedburner.xml", 10, ""},
		{"rss20-scriptingnews-duplicate-guids.xml", 48, ""},
		{"rss20-theomnishow-podcast-enclosures.xml", 4, ""},
		{"rss20-windows1251-ibash.xml", 50, "Цитата #17703"},
		{"rss20-windows1251-newsru.xml", 30, "Турции"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			arts := parseFixture(t, tt.file)
			if len(arts) != tt.n {
				t.Fatalf("%d articles, want %d", len(arts), tt.n)
			}
			if !strings.Contains(arts[0].Title, tt.title) {
				t.Errorf("first title %q lacks %q", arts[0].Title, tt.title)
			}
		})
	}
	t.Run("dates gofeed cannot read", func(t *testing.T) {
		a := parseFixture(t, "rss20-gb2312-kc0011-nonrfc-dates.xml")[0]
		if a.PublishedInferred || a.PublishedAt != time.Date(2020, 1, 10, 14, 33, 0, 0, time.UTC) {
			t.Errorf("2020/1/10 14:33:00 read as %s (inferred %v)", a.PublishedAt, a.PublishedInferred)
		}
	})
	t.Run("relative enclosure", func(t *testing.T) {
		a := parseFixture(t, "rss20-kryogenix-relative-enclosure-url.xml")[0]
		if a.ImageURL != "" && !strings.HasPrefix(a.ImageURL, "http") {
			t.Errorf("image %q is not absolute", a.ImageURL)
		}
	})
}
