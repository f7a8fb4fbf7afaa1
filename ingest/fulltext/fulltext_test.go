package fulltext

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	readability "github.com/go-shiori/go-readability"

	"github.com/newsflow/newsflow/ingest/fetch"
)

// word is the benchmark's token: a run of word characters.
var word = regexp.MustCompile(`[\p{L}\p{N}_]+`)

// shingles counts the 4-token shingles of s, as the article-extraction
// benchmark (scrapinghub) scores bodies.
func shingles(s string) map[string]int {
	toks := word.FindAllString(s, -1)
	out := map[string]int{}
	for i := 0; i < max(1, len(toks)-3); i++ {
		if sh := strings.Join(toks[i:min(i+4, len(toks))], " "); sh != "" {
			out[sh]++
		}
	}
	return out
}

// score returns the shingle precision and recall of pred against truth.
func score(truth, pred string) (p, r float64) {
	t, q := shingles(truth), shingles(pred)
	var tp, fp, fn float64
	for k, n := range q {
		m := float64(t[k])
		tp += min(float64(n), m)
		fp += max(0, float64(n)-m)
	}
	for k, m := range t {
		fn += max(0, float64(m)-float64(q[k]))
	}
	if tp+fp+fn == 0 {
		return 1, 1
	}
	if tp+fp > 0 {
		p = tp / (tp + fp)
	}
	if tp+fn > 0 {
		r = tp / (tp + fn)
	}
	return p, r
}

// quality scores extract on the 16 pages: mean shingle precision and
// recall, the F1 of those (as the benchmark reports it) and the mean of
// per-page F1.
func quality(t *testing.T, extract func(html []byte, pageURL string) (string, error)) (p, r, f1, meanF1 float64) {
	t.Helper()
	pages, _ := filepath.Glob("../../testdata/articles/article-*.html")
	if len(pages) != 16 {
		t.Fatalf("found %d article pages, want 16", len(pages))
	}
	var sumP, sumR, sumF float64
	for _, page := range pages {
		html, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		truth, err := os.ReadFile(strings.TrimSuffix(page, ".html") + ".txt")
		if err != nil {
			t.Fatal(err)
		}
		text, err := extract(html, "https://news.example/"+filepath.Base(page))
		if err != nil {
			t.Logf("%s: %v", filepath.Base(page), err)
		}
		p, r := score(string(truth), text)
		f := 0.0
		if p+r > 0 {
			f = 2 * p * r / (p + r)
		}
		t.Logf("%-60s P %.3f R %.3f F1 %.3f", filepath.Base(page), p, r, f)
		sumP, sumR, sumF = sumP+p, sumR+r, sumF+f
	}
	n := float64(len(pages))
	p, r = sumP/n, sumR/n
	return p, r, 2 * p * r / (p + r), sumF / n
}

// TestExtractorChoice measures the other well-kept candidate,
// go-readability, on the same pages: the extractor in use must stay the
// better one.
func TestExtractorChoice(t *testing.T) {
	_, _, ours, _ := quality(t, func(html []byte, pageURL string) (string, error) { return Text(html, "text/html", pageURL) })
	_, _, theirs, _ := quality(t, func(html []byte, pageURL string) (string, error) {
		u, _ := url.Parse(pageURL)
		a, err := readability.FromReader(bytes.NewReader(html), u)
		return a.TextContent, err
	})
	t.Logf("F1: go-trafilatura %.3f, go-readability %.3f", ours, theirs)
	if ours < theirs {
		t.Errorf("go-trafilatura F1 %.3f is below go-readability's %.3f", ours, theirs)
	}
}

// TestExtractionQuality extracts the 16 real news pages of
// testdata/articles and scores them against their human ground truth:
// mean precision and recall of 4-token shingles, F1 from those, as the
// article-extraction benchmark reports it.
func TestExtractionQuality(t *testing.T) {
	p, r, f1, meanF1 := quality(t, func(html []byte, pageURL string) (string, error) {
		text, err := Text(html, "text/html", pageURL)
		// Two pages declare no charset; read as windows-1252 their UTF-8
		// would turn into mojibake.
		if strings.Contains(text, "â€") || strings.Contains(text, "Ã") {
			t.Errorf("%s: mojibake in %.100q", pageURL, text)
		}
		return text, err
	})
	t.Logf("mean precision %.3f, recall %.3f, F1 %.3f (mean of per-page F1 %.3f)", p, r, f1, meanF1)
	if f1 < 0.97 || meanF1 < 0.97 {
		t.Errorf("F1 %.3f (per page %.3f), want at least 0.97", f1, meanF1)
	}
}

func TestMetaCharset(t *testing.T) {
	// windows-1251 bytes declared only in a meta tag.
	page := "<html><head><meta charset=\"windows-1251\"><title>t</title></head><body><article>" +
		strings.Repeat("<p>\xcc\xee\xf1\xea\xe2\xe0 \xe8 \xc2\xe0\xf8\xe8\xed\xe3\xf2\xee\xed \xef\xf0\xee\xe2\xee\xe4\xff\xf2 \xef\xe5\xf0\xe5\xe3\xee\xe2\xee\xf0\xfb \xee \xd1\xe8\xf0\xe8\xe8 \xe2 \xc6\xe5\xed\xe5\xe2\xe5 \xe8 \xee\xe1\xf1\xf3\xe6\xe4\xe0\xfe\xf2 \xef\xe5\xf0\xe5\xec\xe8\xf0\xe8\xe5.</p>", 6) +
		"</article></body></html>"
	text, err := Text([]byte(page), "text/html", "https://news.example/a")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "Москва и Вашингтон") {
		t.Errorf("text %.80q is not the page's Russian", text)
	}
}

func TestRobots(t *testing.T) {
	body := "<html><body><article>" + strings.Repeat("<p>The minister said the talks in Geneva would go on for another week.</p>", 8) + "</article></body></html>"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			fmt.Fprint(w, "User-agent: newsflow\nDisallow: /private/\n\nUser-agent: *\nDisallow: /\n")
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, body)
		}
	}))
	defer srv.Close()
	client := fetch.New(fetch.Options{Guard: &fetch.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}, Proxy: http.ProxyURL(nil)})
	e := New(client, "newsflow/1 (+https://github.com/newsflow/newsflow)")
	text, err := e.Extract(context.Background(), srv.URL+"/news/geneva")
	if err != nil || !strings.Contains(text, "talks in Geneva") {
		t.Errorf("allowed page: %q, %v", text, err)
	}
	if _, err := e.Extract(context.Background(), srv.URL+"/private/x"); !errors.Is(err, ErrDisallowed) {
		t.Errorf("disallowed page: %v", err)
	}
}
