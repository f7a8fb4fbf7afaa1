package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/newsflow/newsflow/enrich"
	"github.com/newsflow/newsflow/enrich/topics"
	"github.com/newsflow/newsflow/index"
	"github.com/newsflow/newsflow/ingest"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
	"github.com/newsflow/newsflow/pkg/telemetry"
)

// process is one running newsflow process: its stages, their health
// checks and metrics, and the listener that serves them.
type process struct {
	cfg     *config.Config
	log     *slog.Logger
	reg     *prometheus.Registry
	health  *telemetry.Health
	stages  []func(context.Context) error
	closers []io.Closer
}

func newProcess(cfg *config.Config, log *slog.Logger) *process {
	p := &process{cfg: cfg, log: log, reg: telemetry.NewRegistry(), health: telemetry.NewHealth()}
	p.health.Add("kafka", func(ctx context.Context) error { return kafka.Ping(ctx, cfg.Kafka.Brokers) })
	return p
}

// add runs stage until the context ends; c is closed when the process
// stops.
func (p *process) add(stage func(context.Context) error, c io.Closer) {
	p.stages = append(p.stages, stage)
	p.closers = append(p.closers, c)
}

// run runs every stage and the health and metrics listener until ctx is
// done or one stage fails, which stops the others, so the process exits
// and its supervisor restarts it whole. Stages drain and commit before
// their clients are closed.
func (p *process) run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, s := range p.stages {
		g.Go(func() error { return s(gctx) })
	}
	if p.cfg.Telemetry.HTTPAddr != "" {
		srv := &telemetry.Server{Addr: p.cfg.Telemetry.HTTPAddr, Health: p.health, Reg: p.reg, Log: p.log}
		g.Go(func() error { return srv.Run(gctx) })
	}
	err := g.Wait()
	var cerrs []error
	for _, c := range p.closers {
		if cerr := c.Close(); cerr != nil {
			cerrs = append(cerrs, cerr)
		}
	}
	if err != nil {
		return err
	}
	if len(cerrs) > 0 {
		return fmt.Errorf("closing Kafka clients: %w", errors.Join(cerrs...))
	}
	return nil
}

func runIngest(ctx context.Context, e env, args []string) error {
	var once bool
	cfg, _, err := load(e, "ingest", args, config.NeedKafka|config.NeedFeeds, func(fs *flag.FlagSet) {
		fs.BoolVar(&once, "once", false, "poll every feed once and exit after Kafka acknowledged the articles")
	})
	if err != nil {
		return err
	}
	log := logger(cfg, e)
	proc := newProcess(cfg, log)
	poller, err := newPoller(cfg, log, proc.reg)
	if err != nil {
		return err
	}
	if once {
		defer poller.Close()
		st, err := poller.PollOnce(ctx)
		fmt.Fprintf(e.stdout, "polled %d feeds (%d failed): %d articles published to %s\n", st.Feeds, st.Failed, st.Articles, cfg.Topics.Raw)
		if err != nil {
			return err
		}
		if st.Failed == st.Feeds && st.Feeds > 0 {
			return errors.New("every feed failed; see the log above")
		}
		return nil
	}
	proc.add(poller.Run, poller)
	return proc.run(ctx)
}

func newPoller(cfg *config.Config, log *slog.Logger, reg prometheus.Registerer) (*ingest.Poller, error) {
	feeds, err := ingest.LoadFeeds(cfg.Ingest.Feeds)
	if err != nil {
		return nil, usageError{err}
	}
	log.Info("ingest running", "feeds", len(feeds), "topic", cfg.Topics.Raw, "poll_interval", cfg.Ingest.PollInterval)
	return ingest.New(cfg, feeds, log, reg), nil
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
	proc.health.Add("elasticsearch", func(ctx context.Context) error { return index.Ping(ctx, es, cfg.Elasticsearch) })
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
	poller, err := newPoller(cfg, log, proc.reg)
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
