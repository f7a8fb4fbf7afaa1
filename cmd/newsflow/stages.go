package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsflow/newsflow/enrich"
	"github.com/newsflow/newsflow/enrich/stories"
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
	var replay bool
	cfg, _, err := load(e, "enrich", args, config.NeedKafka|config.NeedTaxonomy, func(fs *flag.FlagSet) {
		fs.BoolVar(&replay, "replay", false, "re-enrich the raw topic from its start under a new consumer group (--enrich-replay-group, or one named after the enrich version), print progress, exit when caught up")
	})
	if err != nil {
		return err
	}
	log := logger(cfg, e)
	proc := newProcess(cfg, log)
	en, err := enrich.Load(cfg.Enrich.Taxonomy)
	if err != nil {
		return usageError{err}
	}
	if replay {
		return runEnrichReplay(ctx, e, cfg, en, log, proc)
	}
	w := newEnrichWorker(cfg, en, cfg.Enrich.Group, log, proc)
	proc.add(w.Run, w)
	return proc.run(ctx)
}

// newEnrichWorker returns a worker of group whose story index is rebuilt
// from the enriched topic before it consumes; the story tail runs in proc.
func newEnrichWorker(cfg *config.Config, en *enrich.Enricher, group string, log *slog.Logger, proc *process) *enrich.Worker {
	idx := stories.NewIndex(cfg.Enrich.StoryWindow, cfg.Enrich.StoryMax)
	tail := enrich.NewStoryTail(cfg, idx, log)
	proc.add(tail.Run, tail)
	proc.health.Add("stories", func(context.Context) error {
		select {
		case <-tail.Ready():
			return nil
		default:
			return errors.New("rebuilding the story window from " + cfg.Topics.Enriched)
		}
	})
	log.Info("enrich running", "topic", cfg.Topics.Raw, "group", group, "version", en.Version())
	return enrich.NewWorker(cfg, en, enrich.WorkerOptions{Group: group, Stories: idx, StoriesReady: tail.Ready()}, log, proc.reg)
}

// runEnrichReplay re-enriches the raw topic under a replay group, reporting
// progress on stderr, and returns once it caught up with the end the raw
// topic had when it started.
func runEnrichReplay(ctx context.Context, e env, cfg *config.Config, en *enrich.Enricher, log *slog.Logger, proc *process) error {
	group := cfg.Enrich.ReplayGroup
	if group == "" {
		group = enrich.ReplayGroup(cfg.Enrich.Group, en.Version())
	}
	fmt.Fprintf(e.stderr, "replaying %s into %s as group %s (enrich version %s)\n", cfg.Topics.Raw, cfg.Topics.Enriched, group, en.Version())
	w := newEnrichWorker(cfg, en, group, log, proc)
	bar := newProgressBar(e.stderr)
	var last enrich.Progress
	proc.add(func(ctx context.Context) error {
		err := w.Replay(ctx, time.Second, func(p enrich.Progress) {
			last = p
			bar.update(p)
		})
		bar.finish()
		if err != nil {
			return err
		}
		if !last.Finished {
			return errors.New("replay interrupted; run it again to resume")
		}
		// Caught up: stop the story tail and the listener too.
		return errReplayDone
	}, w)
	if err := proc.run(ctx); err != nil && !errors.Is(err, errReplayDone) {
		return err
	}
	fmt.Fprintf(e.stdout, "replayed %d articles in %s\n", last.Done, last.Elapsed.Round(time.Millisecond))
	return nil
}

// errReplayDone ends a replay's process once it caught up.
var errReplayDone = errors.New("replay caught up")

// isTerminal reports whether w is a character device, where progress
// can be redrawn in place.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
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
	en, err := enrich.Load(cfg.Enrich.Taxonomy)
	if err != nil {
		poller.Close()
		return usageError{err}
	}
	ew := newEnrichWorker(cfg, en, cfg.Enrich.Group, log, proc)
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
