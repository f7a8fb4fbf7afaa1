package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/newsflow/newsflow/enrich"
	"github.com/newsflow/newsflow/enrich/topics"
	"github.com/newsflow/newsflow/index"
	"github.com/newsflow/newsflow/ingest"
	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
	"github.com/newsflow/newsflow/pkg/telemetry"
	"github.com/newsflow/newsflow/pkg/version"
)

// load parses the flags of a command (its own, added by register, and
// every setting) and validates the settings the command needs.
func load(e env, name string, args []string, needs config.Needs, register func(fs *flag.FlagSet)) (*config.Config, *flag.FlagSet, error) {
	fs := flag.NewFlagSet("newsflow "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	if register != nil {
		register(fs)
	}
	cfg, err := config.Load(fs, args, e.lookup)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil, usageError{errors.New("help requested")}
		}
		return nil, nil, usageError{err}
	}
	if err := cfg.Validate(needs); err != nil {
		return nil, nil, usageError{fmt.Errorf("invalid configuration:\n%w", err)}
	}
	return cfg, fs, nil
}

func logger(cfg *config.Config, e env) *slog.Logger {
	return telemetry.NewLogger(cfg.Telemetry, e.stderr)
}

func runSetup(ctx context.Context, e env, args []string) error {
	var wait time.Duration
	cfg, _, err := load(e, "setup", args, config.NeedKafka|config.NeedElasticsearch, func(fs *flag.FlagSet) {
		fs.DurationVar(&wait, "wait", 2*time.Minute, "how long to wait for Kafka and Elasticsearch to answer")
	})
	if err != nil {
		return err
	}
	log := logger(cfg, e)
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	return setup(ctx, cfg, log, e)
}

// setup creates the topics, the template and the write alias, waiting for
// the services to answer first.
func setup(ctx context.Context, cfg *config.Config, log *slog.Logger, e env) error {
	if err := retry(ctx, log, "Kafka", func() error { return kafka.Ping(ctx, cfg.Kafka.Brokers) }); err != nil {
		return err
	}
	specs := kafka.Specs(cfg)
	err := kafka.EnsureTopics(ctx, cfg.Kafka.Brokers, specs, func(s kafka.TopicSpec, have int) {
		log.Warn("topic exists with another partition count; leaving it", "topic", s.Name, "partitions", have, "configured", s.Partitions)
	})
	if err != nil {
		return err
	}
	for _, s := range specs {
		fmt.Fprintf(e.stdout, "kafka topic %s ready\n", s.Name)
	}
	es, err := index.NewClient(cfg.Elasticsearch)
	if err != nil {
		return usageError{err}
	}
	if err := retry(ctx, log, "Elasticsearch", func() error { return index.Ping(ctx, es) }); err != nil {
		return err
	}
	if err := index.Setup(ctx, es, cfg.Elasticsearch.Alias); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "elasticsearch template and write alias %s ready\n", cfg.Elasticsearch.Alias)
	return nil
}

// retry calls f until it succeeds or ctx ends, logging while it waits.
func retry(ctx context.Context, log *slog.Logger, what string, f func() error) error {
	backoff := 500 * time.Millisecond
	for {
		err := f()
		if err == nil {
			return nil
		}
		log.Info("waiting for "+what, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer in time: %w", what, err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func runIngest(ctx context.Context, e env, args []string) error {
	var once bool
	cfg, _, err := load(e, "ingest", args, config.NeedKafka|config.NeedFeeds, func(fs *flag.FlagSet) {
		fs.BoolVar(&once, "once", false, "poll every feed once and exit after Kafka acknowledged the articles")
	})
	if err != nil {
		return err
	}
	feeds, err := ingest.LoadFeeds(cfg.Ingest.Feeds)
	if err != nil {
		return usageError{err}
	}
	log := logger(cfg, e)
	p := ingest.New(cfg, feeds, log)
	defer p.Close()
	if !once {
		log.Info("ingest running", "feeds", len(feeds), "topic", cfg.Topics.Raw, "poll_interval", cfg.Ingest.PollInterval)
		return p.Run(ctx)
	}
	st, err := p.PollOnce(ctx)
	fmt.Fprintf(e.stdout, "polled %d feeds (%d failed): %d articles published to %s\n", st.Feeds, st.Failed, st.Articles, cfg.Topics.Raw)
	if err != nil {
		return err
	}
	if st.Failed == st.Feeds && st.Feeds > 0 {
		return errors.New("every feed failed; see the log above")
	}
	return nil
}

func runEnrich(ctx context.Context, e env, args []string) error {
	cfg, _, err := load(e, "enrich", args, config.NeedKafka|config.NeedTaxonomy, nil)
	if err != nil {
		return err
	}
	w, err := newEnrichWorker(cfg, logger(cfg, e))
	if err != nil {
		return err
	}
	defer w.Close()
	return w.Run(ctx)
}

func newEnrichWorker(cfg *config.Config, log *slog.Logger) (*enrich.Worker, error) {
	tax, err := topics.Load(cfg.Enrich.Taxonomy)
	if err != nil {
		return nil, usageError{err}
	}
	en := enrich.New(tax)
	log.Info("enrich running", "topic", cfg.Topics.Raw, "group", cfg.Enrich.Group, "version", en.Version())
	return enrich.NewWorker(cfg, en, log), nil
}

func runIndex(ctx context.Context, e env, args []string) error {
	cfg, _, err := load(e, "index", args, config.NeedKafka|config.NeedElasticsearch|config.NeedIndex, nil)
	if err != nil {
		return err
	}
	w, err := newIndexWorker(cfg, logger(cfg, e))
	if err != nil {
		return err
	}
	defer w.Close()
	return w.Run(ctx)
}

func newIndexWorker(cfg *config.Config, log *slog.Logger) (*index.Worker, error) {
	es, err := index.NewClient(cfg.Elasticsearch)
	if err != nil {
		return nil, usageError{err}
	}
	log.Info("index running", "topic", cfg.Topics.Enriched, "group", cfg.Index.Group, "alias", cfg.Elasticsearch.Alias)
	return index.NewWorker(cfg, es, log), nil
}

func runAll(ctx context.Context, e env, args []string) error {
	cfg, _, err := load(e, "all", args, config.NeedKafka|config.NeedElasticsearch|config.NeedFeeds|config.NeedTaxonomy|config.NeedIndex, nil)
	if err != nil {
		return err
	}
	log := logger(cfg, e)
	feeds, err := ingest.LoadFeeds(cfg.Ingest.Feeds)
	if err != nil {
		return usageError{err}
	}
	ew, err := newEnrichWorker(cfg, log)
	if err != nil {
		return err
	}
	defer ew.Close()
	iw, err := newIndexWorker(cfg, log)
	if err != nil {
		return err
	}
	defer iw.Close()
	p := ingest.New(cfg, feeds, log)
	defer p.Close()
	log.Info("ingest running", "feeds", len(feeds), "topic", cfg.Topics.Raw, "poll_interval", cfg.Ingest.PollInterval)

	// One stage failing stops the others, so the process exits and its
	// supervisor restarts it whole.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return p.Run(gctx) })
	g.Go(func() error { return ew.Run(gctx) })
	g.Go(func() error { return iw.Run(gctx) })
	return g.Wait()
}

func runSearch(ctx context.Context, e env, args []string) error {
	var (
		q      index.Query
		asJSON bool
	)
	cfg, fs, err := load(e, "search", args, config.NeedElasticsearch, func(fs *flag.FlagSet) {
		fs.StringVar(&q.Topic, "topic", "", "only articles tagged with this topic id")
		fs.IntVar(&q.Limit, "limit", 10, "most articles to print")
		fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
	})
	if err != nil {
		return err
	}
	q.Text = strings.Join(fs.Args(), " ")
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

func printResult(e env, q index.Query, res *index.Result) {
	what := "articles"
	if q.Text != "" {
		what = fmt.Sprintf("articles match %q", q.Text)
	}
	if q.Topic != "" {
		what += " in topic " + q.Topic
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

func runSchema(_ context.Context, e env, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("takes no arguments, got %q", args)}
	}
	_, err := e.stdout.Write(article.EnrichedSchema())
	return err
}

func runConfig(_ context.Context, e env, args []string) error {
	cfg, _, err := load(e, "config", args, 0, nil)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	for _, s := range config.Settings(cfg) {
		fmt.Fprintf(tw, "%s\t%s\n", s.Env, s.Value())
	}
	return tw.Flush()
}

func runVersion(_ context.Context, e env, _ []string) error {
	commit := version.Commit()
	if commit == "" {
		commit = "unknown commit"
	}
	fmt.Fprintf(e.stdout, "newsflow %s (%s, %s)\n", version.Version, commit, runtime.Version())
	return nil
}
