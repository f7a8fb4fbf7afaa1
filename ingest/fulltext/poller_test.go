package fulltext_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsflow/newsflow/ingest"
	"github.com/newsflow/newsflow/ingest/fetch"
	"github.com/newsflow/newsflow/ingest/fulltext"
)

// TestPollFullText polls a full-text feed: the teaser gives way to the
// article page's text, and the page robots.txt disallows is not fetched.
func TestPollFullText(t *testing.T) {
	page, err := os.ReadFile("../../testdata/articles/article-bbc-sweden-drops-assange-investigation.html")
	if err != nil {
		t.Fatal(err)
	}
	var srvURL string
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
	})
	mux.HandleFunc("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>t</title><link>%[1]s/</link>
<item><title>Sweden drops Assange rape investigation</title><link>%[1]s/news/assange</link><description>Teaser only.</description></item>
<item><title>Kept out</title><link>%[1]s/private/x</link><description>Robots keep us out.</description></item>
</channel></rss>`, srvURL)
	})
	mux.HandleFunc("/news/assange", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	mux.HandleFunc("/private/x", func(w http.ResponseWriter, r *http.Request) {
		t.Error("a page robots.txt disallows was fetched")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	srvURL = srv.URL

	client := fetch.New(fetch.Options{Guard: &fetch.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}, Proxy: http.ProxyURL(nil)})
	sink := ingest.NewMemorySink(true)
	schedule := ingest.Schedule{Interval: time.Hour, Min: time.Hour, Max: time.Hour, MaxBackoff: time.Hour}
	p := ingest.NewPoller(client, schedule, sink, fulltext.New(client, "newsflow/1"), slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	st, err := p.PollOnce(context.Background(), []ingest.Feed{{URL: srv.URL + "/feed.xml", FullText: true}}, 1)
	if err != nil || st.Failed != 0 {
		t.Fatal(err, st)
	}
	if len(sink.Articles) != 2 {
		t.Fatalf("%d articles", len(sink.Articles))
	}
	a, kept := sink.Articles[0], sink.Articles[1]
	if !strings.Contains(a.Content, "Swedish prosecutors") || len(a.Content) < 1000 || a.Summary != "Teaser only." {
		t.Errorf("full text: summary %q, content %.200q", a.Summary, a.Content)
	}
	if kept.Content != "" || kept.Summary != "Robots keep us out." {
		t.Errorf("disallowed page: %+v", kept)
	}
}
