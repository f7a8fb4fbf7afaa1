package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/newsflow/newsflow/enrich"
	"github.com/newsflow/newsflow/ingest"
	"github.com/newsflow/newsflow/pkg/article"
)

// TestFixtureArticlesValidate runs every fixture feed through ingest's
// parser and the enricher and checks each encoded article against the
// published schema, the contract downstream services code against.
func TestFixtureArticlesValidate(t *testing.T) {
	en, err := enrich.Load("../../deploy/taxonomy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../../testdata/feeds/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixture feeds: %v", err)
	}
	fetched := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	total := 0
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		url := "http://127.0.0.1:8089/feeds/" + filepath.Base(f)
		arts, _, err := ingest.Parse(ingest.Feed{URL: url, Country: "GB"}, body, url, fetched)
		if err != nil {
			continue // malformed fixtures; ingest's own tests check their errors
		}
		for _, a := range arts {
			enriched := en.Enrich(*a, fetched)
			b, err := article.Encode(&enriched)
			if err != nil {
				t.Fatal(err)
			}
			if err := article.ValidateEnriched(b); err != nil {
				t.Errorf("%s: article %q: %v", filepath.Base(f), a.Title, err)
			}
			total++
		}
	}
	if total < 500 {
		t.Errorf("validated %d fixture articles, want the fixtures' 500+", total)
	}
}
