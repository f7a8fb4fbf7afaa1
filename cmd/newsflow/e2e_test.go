package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/newsflow/newsflow/index"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/testenv"
)

// cli runs newsflow commands in-process with an environment of their own.
type cli struct {
	t   *testing.T
	env map[string]string
}

func newCLI(t *testing.T, cfg *config.Config) *cli {
	env := map[string]string{}
	for _, s := range config.Settings(cfg) {
		env[s.Env] = s.Value()
	}
	return &cli{t: t, env: env}
}

func (c *cli) lookup(k string) (string, bool) { v, ok := c.env[k]; return v, ok }

// run runs a command to completion and returns its stdout, failing the
// test on a non-zero exit.
func (c *cli) run(ctx context.Context, args ...string) string {
	c.t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(ctx, args, strings.NewReader(""), &stdout, &stderr, c.lookup); code != 0 {
		c.t.Fatalf("newsflow %s exited %d:\n%s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// start runs a long-running command until the test ends, and checks that
// it then stops cleanly.
func (c *cli) start(args ...string) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var stderr bytes.Buffer
	go func() { done <- run(ctx, args, strings.NewReader(""), &bytes.Buffer{}, &stderr, c.lookup) }()
	c.t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				c.t.Errorf("newsflow %s exited %d at shutdown:\n%s", strings.Join(args, " "), code, stderr.String())
			}
		case <-time.After(30 * time.Second):
			c.t.Errorf("newsflow %s did not stop within 30s of shutdown", strings.Join(args, " "))
		}
	})
}

var published = regexp.MustCompile(`(\d+) articles published`)

func TestEndToEnd(t *testing.T) {
	cfg := testenv.Config(t, config.NeedKafka|config.NeedElasticsearch)
	ctx := context.Background()

	feedsDir, err := filepath.Abs("../../testdata/feeds")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(feedsDir)))
	defer srv.Close()
	list := "feeds:\n"
	for _, f := range []string{
		"rss20-rappler-kerry-lavrov-syria-reference.xml",
		"rss20-reuters-worldnews-feedburner.xml",
		"rss20-bbc-world-2017-cdata.xml",
		"rss20-guardian-international-reformatted.xml",
		"rss20-windows1251-newsru.xml",
	} {
		list += fmt.Sprintf("  - url: %s/%s\n    language: en\n", srv.URL, f)
	}
	feedList := filepath.Join(t.TempDir(), "feeds.yaml")
	if err := os.WriteFile(feedList, []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	c := newCLI(t, cfg)
	c.env["NEWSFLOW_FEEDS"] = feedList
	// The fixture server listens on loopback, which the fetcher refuses
	// unless allowed.
	c.env["NEWSFLOW_INGEST_ALLOW_NETWORKS"] = "127.0.0.1/32"
	c.env["NEWSFLOW_TAXONOMY"] = "../../deploy/taxonomy.yaml"

	c.run(ctx, "setup")
	c.run(ctx, "setup") // idempotent

	out := c.run(ctx, "ingest", "--once")
	m := published.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("ingest --once printed %q", out)
	}
	n, _ := strconv.Atoi(m[1])
	if n < 100 {
		t.Fatalf("ingest published %d articles from five fixture feeds, want over 100", n)
	}

	c.start("enrich")
	c.start("index")

	es, err := index.NewClient(cfg.Elasticsearch)
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		got, err := index.Count(ctx, es, cfg.Elasticsearch.Alias)
		if err != nil {
			t.Logf("counting: %v", err)
		}
		return got
	}
	testenv.Eventually(t, 90*time.Second, fmt.Sprintf("the index holds %d articles", n), func() bool { return count() == n })

	res, err := index.Search(ctx, es, cfg.Elasticsearch.Alias, index.Query{Text: "Lavrov", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	// The reference story names Lavrov in its title and throughout; the
	// Guardian feed has a Lavrov story too, which must rank below it.
	if res.Total < 1 || res.Hits[0].Title != "Kerry, Lavrov meet on Syria conflict" {
		t.Fatalf("search for Lavrov found %+v, want the reference story first", res)
	}
	if !slices.Contains(res.Hits[0].Topics, "syria") {
		t.Errorf("reference story topics %v lack syria", res.Hits[0].Topics)
	}
	if !slices.Contains(res.Hits[0].People, "Sergei Lavrov") || !slices.Contains(res.Hits[0].People, "John Kerry") {
		t.Errorf("reference story people %v lack Sergei Lavrov and John Kerry", res.Hits[0].People)
	}
	// Analysts filter by entity and by place, not only by text.
	for _, q := range []index.Query{{Entity: "Staffan de Mistura", Limit: 5}, {Place: "Aleppo", Limit: 5}, {Place: "SY", Topic: "syria", Limit: 20}} {
		got, err := index.Search(ctx, es, cfg.Elasticsearch.Alias, q)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(got.Hits, func(h index.Hit) bool { return h.Title == "Kerry, Lavrov meet on Syria conflict" }) {
			t.Errorf("search %+v did not find the reference story: %+v", q, got)
		}
	}
	if strings.Contains(res.Hits[0].URL, "utm_") {
		t.Errorf("indexed URL %s kept tracking parameters", res.Hits[0].URL)
	}
	syria, err := index.Search(ctx, es, cfg.Elasticsearch.Alias, index.Query{Topic: "syria"})
	if err != nil {
		t.Fatal(err)
	}
	if syria.Total < 2 {
		t.Errorf("%d articles tagged syria; the Reuters feed carries Syria stories too", syria.Total)
	}

	// Publishing the same feeds again re-enriches every article and leaves
	// one document per article.
	again := time.Now()
	c.run(ctx, "ingest", "--once")
	testenv.Eventually(t, 90*time.Second, "every article re-indexed after the second publish", func() bool {
		return countSince(t, es, cfg.Elasticsearch.Alias, again) == n
	})
	if got := count(); got != n {
		t.Errorf("after publishing the feeds twice the index holds %d documents, want %d", got, n)
	}

	printed := c.run(ctx, "search", "Lavrov")
	if !strings.Contains(printed, "Kerry, Lavrov meet on Syria conflict") || !strings.Contains(printed, "syria") {
		t.Errorf("newsflow search Lavrov printed:\n%s", printed)
	}
}

// countSince counts the documents enriched at or after since.
func countSince(t *testing.T, es *elasticsearch.Client, alias string, since time.Time) int {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": map[string]any{"range": map[string]any{
		"enriched_at": map[string]any{"gte": since.UTC().Format(time.RFC3339Nano)},
	}}})
	if res, err := es.Indices.Refresh(es.Indices.Refresh.WithIndex(alias)); err == nil {
		res.Body.Close()
	}
	res, err := es.Count(es.Count.WithIndex(alias), es.Count.WithBody(bytes.NewReader(body)))
	if err != nil {
		t.Logf("counting: %v", err)
		return -1
	}
	defer res.Body.Close()
	var c struct {
		Count int `json:"count"`
	}
	if err := json.NewDecoder(res.Body).Decode(&c); err != nil {
		t.Logf("counting: %v", err)
		return -1
	}
	return c.Count
}
