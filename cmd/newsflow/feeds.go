package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/ingest"
	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/config"
)

const feedsUsage = `newsflow feeds: manage the feed list

  newsflow feeds import [--replace] FILE   publish a YAML or OPML feed list to the feeds topic
                                           (--replace also deletes the feeds not in FILE)
  newsflow feeds check URL|FILE            fetch (or read) one feed and print its articles as JSON lines
  newsflow feeds status                    print every feed's health, last success, last error,
                                           next poll and articles per day`

func runFeeds(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(e.stdout, feedsUsage)
		if len(args) == 0 {
			return usageError{errors.New("missing subcommand: import, check or status")}
		}
		return nil
	}
	switch args[0] {
	case "import":
		return runFeedsImport(ctx, e, args[1:])
	case "check":
		return runFeedsCheck(ctx, e, args[1:])
	case "status":
		return runFeedsStatus(ctx, e, args[1:])
	}
	return usageError{fmt.Errorf("unknown subcommand %q; want import, check or status", args[0])}
}

func runFeedsImport(ctx context.Context, e env, args []string) error {
	var replace bool
	cfg, fs, err := load(e, "feeds import", args, config.NeedKafka, func(fs *flag.FlagSet) {
		fs.BoolVar(&replace, "replace", false, "delete the feeds of the topic that FILE does not list")
	})
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("want one feed list file (YAML or OPML)")}
	}
	feeds, err := ingest.LoadFeedList(fs.Arg(0))
	if err != nil {
		return usageError{err}
	}
	deleted, err := ingest.Import(ctx, cfg, feeds, replace)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "imported %d feeds into %s", len(feeds), cfg.Topics.Feeds)
	if replace {
		fmt.Fprintf(e.stdout, ", deleted %d", deleted)
	}
	fmt.Fprintln(e.stdout)
	return nil
}

func runFeedsCheck(ctx context.Context, e env, args []string) error {
	cfg, fs, err := load(e, "feeds check", args, 0, nil)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("want one feed URL or file")}
	}
	target := fs.Arg(0)
	now := time.Now()
	var doc *ingest.Document
	feed := ingest.Feed{URL: target}
	if st, statErr := os.Stat(target); statErr == nil && !st.IsDir() {
		body, err := os.ReadFile(target)
		if err != nil {
			return err
		}
		feed.URL = "file://" + target
		if len(body) > int(cfg.Ingest.MaxBodyBytes) {
			return fmt.Errorf("%s: too large: %d bytes, the limit is %d", target, len(body), cfg.Ingest.MaxBodyBytes)
		}
		doc, err = ingest.ParseDocument(feed, body, "", feed.URL, now)
		if err != nil {
			return err
		}
	} else {
		if !strings.HasPrefix(target, "http://") && !strings.HasPrefix(target, "https://") {
			return usageError{fmt.Errorf("%q is neither a file nor an http(s) URL", target)}
		}
		client, err := ingest.NewClient(cfg.Ingest)
		if err != nil {
			return usageError{err}
		}
		ctx, cancel := context.WithTimeout(ctx, cfg.Ingest.FetchTimeout+5*time.Second)
		defer cancel()
		resp, err := client.Fetch(ctx, ingest.CheckRequest(target))
		if err != nil {
			return err
		}
		doc, err = ingest.ParseDocument(feed, resp.Body, resp.ContentType, resp.URL, now)
		if err != nil {
			return err
		}
	}
	for _, a := range doc.Articles {
		b, err := article.Encode(a)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s\n", b)
	}
	for _, s := range doc.Skipped {
		fmt.Fprintf(e.stderr, "skipped: %v\n", s)
	}
	fmt.Fprintf(e.stderr, "%d articles (%s)\n", len(doc.Articles), doc.Charset)
	return nil
}

func runFeedsStatus(ctx context.Context, e env, args []string) error {
	cfg, _, err := load(e, "feeds status", args, config.NeedKafka, nil)
	if err != nil {
		return err
	}
	feeds, err := topicFeeds(ctx, cfg)
	if err != nil {
		return err
	}
	states := map[string]ingest.State{}
	if err := ingest.ReadTopic(ctx, cfg.Kafka, cfg.Topics.FeedState, func(m kafkago.Message) {
		if m.Value == nil {
			delete(states, string(m.Key))
			return
		}
		if st, err := ingest.DecodeState(m.Value); err == nil {
			states[st.URL] = st
		}
	}); err != nil {
		return err
	}
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "FEED\tHEALTH\tLAST SUCCESS\tNEXT POLL\tARTICLES/DAY\tLAST ERROR")
	when := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Local().Format("2006-01-02 15:04:05")
	}
	for _, f := range feeds {
		st, ok := states[f.URL]
		health := "new"
		if ok {
			health = st.Health
		}
		lastErr := "-"
		if st.LastError != "" && st.Failures > 0 {
			lastErr = fmt.Sprintf("%s (%d in a row) %s", when(st.LastErrorAt), st.Failures, truncate(st.LastError, 120))
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%.1f\t%s\n", f.URL, health, when(st.LastSuccess), when(st.NextDue), st.ArticlesPerDay, lastErr)
	}
	return w.Flush()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// topicFeeds returns the live feeds of the feeds topic, sorted by URL.
func topicFeeds(ctx context.Context, cfg *config.Config) ([]ingest.Feed, error) {
	byURL := map[string]ingest.Feed{}
	if err := ingest.ReadTopic(ctx, cfg.Kafka, cfg.Topics.Feeds, func(m kafkago.Message) {
		if m.Value == nil {
			delete(byURL, string(m.Key))
			return
		}
		if f, err := ingest.DecodeFeed(m.Value); err == nil {
			byURL[f.URL] = f
		}
	}); err != nil {
		return nil, err
	}
	feeds := make([]ingest.Feed, 0, len(byURL))
	for _, f := range byURL {
		feeds = append(feeds, f)
	}
	sort.Slice(feeds, func(i, j int) bool { return feeds[i].URL < feeds[j].URL })
	return feeds, nil
}
