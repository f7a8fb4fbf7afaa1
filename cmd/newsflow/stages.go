package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsflow/newsflow/enrich"
	"github.com/newsflow/newsflow/enrich/topics"
	"github.com/newsflow/newsflow/index"
	"github.com/newsflow/newsflow/ingest"
	"github.com/newsflow/newsflow/ingest/fetch"
	"github.com/newsflow/newsflow/ingest/fulltext"
	"github.com/newsflow/newsflow/pkg/config"
)

func runIngest(ctx context.Context, e env, args []string) error {
	var once bool
	cfg, _, err := load(e, "ingest", args, config.NeedKafka|config.NeedFeeds, func(fs *flag.FlagSet) {
		fs.BoolVar(&once, "once", false, "poll every feed once, from a clean state, and exit after Kafka acknowledged the articles")
	})
	if err != nil {
		return err
	}
	log := logger(cfg, e)
	proc := newProcess(cfg, log)
	in, err := newIngester(ctx, cfg, log, proc.reg, !once)
	if err != nil {
		return err
	}
	if once {
		defer in.Close()
		feeds, err := onceFeeds(ctx, cfg)
		if err != nil {
			return err
		}
		st, err := in.PollOnce(ctx, feeds)
		fmt.Fprintf(e.stdout, "polled %d feeds (%d failed): %d articles published to %s\n", st.Feeds, st.Failed, st.Articles, cfg.Topics.Raw)
		if err != nil {
			return err
		}
		if st.Failed == st.Feeds && st.Feeds > 0 {
			return errors.New("every feed failed; see the log above")
		}
		return nil
	}
	proc.add(in.Run, in)
	return proc.run(ctx)
}

// onceFeeds is the feed list of ingest --once: the file of
// NEWSFLOW_FEEDS, or else the whole feeds topic.
func onceFeeds(ctx context.Context, cfg *config.Config) ([]ingest.Feed, error) {
	if cfg.Ingest.Feeds != "" {
		feeds, err := ingest.LoadFeedList(cfg.Ingest.Feeds)
		if err != nil {
			return nil, usageError{err}
		}
		return feeds, nil
	}
	feeds, err := topicFeeds(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if len(feeds) == 0 {
		return nil, usageError{fmt.Errorf("no feeds: %s is empty and NEWSFLOW_FEEDS names no file", cfg.Topics.Feeds)}
	}
	return feeds, nil
}

// newIngester returns the ingest stage; with importList, the feed list
// file of NEWSFLOW_FEEDS, if any, is first published to the feeds topic.
func newIngester(ctx context.Context, cfg *config.Config, log *slog.Logger, reg prometheus.Registerer, importList bool) (*ingest.Ingester, error) {
	if importList && cfg.Ingest.Feeds != "" {
		feeds, err := ingest.LoadFeedList(cfg.Ingest.Feeds)
		if err != nil {
			return nil, usageError{err}
		}
		if _, err := ingest.Import(ctx, cfg, feeds, false); err != nil {
			return nil, err
		}
		log.Info("feed list imported", "file", cfg.Ingest.Feeds, "feeds", len(feeds), "topic", cfg.Topics.Feeds)
	}
	in, err := ingest.New(cfg, log, reg, func(c *fetch.Client) ingest.FullText { return fulltext.New(c, cfg.Ingest.UserAgent) })
	if err != nil {
		return nil, usageError{err}
	}
	log.Info("ingest running", "topic", cfg.Topics.Raw, "group", cfg.Ingest.Group, "poll_interval", cfg.Ingest.PollInterval)
	return in, nil
}

func runEnrich(ctx context.Context, e env, args []string) error {
	cfg, _, err := load(e, "enrich", args, config.NeedKafka|config.NeedTaxonomy, nil)
	if err != nil {
		return err
	}
	log := logger(cfg, e)
	proc := newProcess(cfg, log)
	w, err := newEnrichWorker(cfg, log, proc.reg)
	if err != nil {
		return err
	}
	proc.add(w.Run, w)
	return proc.run(ctx)
}

func newEnrichWorker(cfg *config.Config, log *slog.Logger, reg prometheus.Registerer) (*enrich.Worker, error) {
	tax, err := topics.Load(cfg.Enrich.Taxonomy)
	if err != nil {
		return nil, usageError{err}
	}
	en := enrich.New(tax)
	log.Info("enrich running", "topic", cfg.Topics.Raw, "group", cfg.Enrich.Group, "version", en.Version())
	return enrich.NewWorker(cfg, en, log, reg), nil
}

func runIndex(ctx context.Context, e env, args []string) error {
	var replay bool
	cfg, _, err := load(e, "index", args, config.NeedKafka|config.NeedElasticsearch|config.NeedIndex, func(fs *flag.FlagSet) {
		fs.BoolVar(&replay, "replay", false, "rebuild the index from the whole enriched topic in a new consumer group, then exit")
	})
	if err != nil {
		return err
	}
	log := logger(cfg, e)
	if replay {
		return runReplay(ctx, cfg, log, e)
	}
	proc := newProcess(cfg, log)
	w, err := newIndexWorker(cfg, log, proc)
	if err != nil {
		return err
	}
	proc.add(w.Run, w)
	return proc.run(ctx)
}

func newIndexWorker(cfg *config.Config, log *slog.Logger, proc *process) (*index.Worker, error) {
	es, err := index.NewClient(cfg.Elasticsearch)
	if err != nil {
		return nil, usageError{err}
	}
	proc.health.Add("elasticsearch", elasticsearchReady(es, cfg.Elasticsearch))
	log.Info("index running", "topic", cfg.Topics.Enriched, "group", cfg.Index.Group, "alias", cfg.Elasticsearch.Alias)
	return index.NewWorker(cfg, es, log, proc.reg), nil
}

func runAll(ctx context.Context, e env, args []string) error {
	cfg, _, err := load(e, "all", args, config.NeedKafka|config.NeedElasticsearch|config.NeedFeeds|config.NeedTaxonomy|config.NeedIndex, nil)
	if err != nil {
		return err
	}
	log := logger(cfg, e)
	proc := newProcess(cfg, log)
	poller, err := newIngester(ctx, cfg, log, proc.reg, true)
	if err != nil {
		return err
	}
	ew, err := newEnrichWorker(cfg, log, proc.reg)
	if err != nil {
		poller.Close()
		return err
	}
	iw, err := newIndexWorker(cfg, log, proc)
	if err != nil {
		poller.Close()
		ew.Close()
		return err
	}
	proc.add(poller.Run, poller)
	proc.add(ew.Run, ew)
	proc.add(iw.Run, iw)
	return proc.run(ctx)
}
