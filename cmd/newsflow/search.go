package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/newsflow/newsflow/index"
	"github.com/newsflow/newsflow/pkg/config"
)

func runSearch(ctx context.Context, e env, args []string) error {
	var (
		q            index.Query
		asJSON       bool
		since, until string
	)
	cfg, fs, err := load(e, "search", args, config.NeedElasticsearch, func(fs *flag.FlagSet) {
		fs.StringVar(&q.Topic, "topic", "", "only articles tagged with this topic id")
		fs.StringVar(&q.Entity, "entity", "", "only articles naming this person, organization or other entity (name or id)")
		fs.StringVar(&q.Place, "place", "", "only articles about this place (name or ISO country code)")
		fs.StringVar(&since, "since", "", "only articles published at or after this date (2006-01-02 or RFC 3339)")
		fs.StringVar(&until, "until", "", "only articles published before this date (2006-01-02 or RFC 3339)")
		fs.IntVar(&q.Limit, "limit", 10, "most articles to print")
		fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
	})
	if err != nil {
		return err
	}
	q.Text = strings.Join(fs.Args(), " ")
	for _, d := range []struct {
		flag, raw string
		dst       *time.Time
	}{{"since", since, &q.Since}, {"until", until, &q.Until}} {
		if d.raw == "" {
			continue
		}
		t, err := parseDate(d.raw)
		if err != nil {
			return usageError{fmt.Errorf("--%s: %w", d.flag, err)}
		}
		*d.dst = t
	}
	es, err := index.NewClient(cfg.Elasticsearch)
	if err != nil {
		return usageError{err}
	}
	res, err := index.Search(ctx, es, cfg.Elasticsearch.Alias, q)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printResult(e, q, res)
	return nil
}

// parseDate reads a day (2006-01-02, midnight UTC) or an RFC 3339 time.
func parseDate(raw string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", raw); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date such as 2026-11-25 or 2026-11-25T10:00:00Z", raw)
	}
	return t, nil
}

func printResult(e env, q index.Query, res *index.Result) {
	what := "articles"
	if q.Text != "" {
		what = fmt.Sprintf("articles match %q", q.Text)
	}
	if q.Topic != "" {
		what += " in topic " + q.Topic
	}
	if q.Entity != "" {
		what += " naming " + q.Entity
	}
	if q.Place != "" {
		what += " about " + q.Place
	}
	var counts []string
	for _, t := range res.Topic {
		counts = append(counts, fmt.Sprintf("%s %d", t.Topic, t.Count))
	}
	fmt.Fprintf(e.stdout, "%d %s", res.Total, what)
	if len(counts) > 0 {
		fmt.Fprintf(e.stdout, " (by topic: %s)", strings.Join(counts, ", "))
	}
	fmt.Fprintln(e.stdout)
	for _, h := range res.Hits {
		topics := "no topic"
		if len(h.Topics) > 0 {
			topics = strings.Join(h.Topics, ", ")
		}
		fmt.Fprintf(e.stdout, "\n%s  %s\n", h.PublishedAt.UTC().Format("2006-01-02 15:04"), h.Title)
		fmt.Fprintf(e.stdout, "                  %s · topics: %s\n", h.Source, topics)
		if h.URL != "" {
			fmt.Fprintf(e.stdout, "                  %s\n", h.URL)
		}
	}
}
