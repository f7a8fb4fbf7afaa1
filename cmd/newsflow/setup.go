package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/newsflow/newsflow/index"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
)

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
	if err := retry(ctx, log, "Elasticsearch", func() error { return index.Ping(ctx, es, cfg.Elasticsearch) }); err != nil {
		return err
	}
	caps, err := index.Setup(ctx, es, cfg.Elasticsearch.Alias)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "elasticsearch template and alias %s ready (english analyzer: %s, lifecycle policy: %s)\n",
		cfg.Elasticsearch.Alias, yesNo(caps.English), yesNo(caps.ILM))
	if cfg.Kibana.URL == "" {
		return nil
	}
	return setupKibana(ctx, cfg, log, e)
}

// setupKibana imports the data view, saved searches (one per topic of
// the taxonomy), visualizations, map and dashboard into Kibana, once it
// is ready. Importing again overwrites the same objects.
func setupKibana(ctx context.Context, cfg *config.Config, log *slog.Logger, e env) error {
	topics, err := index.LoadTopics(cfg.Enrich.Taxonomy)
	if err != nil {
		return usageError{fmt.Errorf("%s: %w", config.Name(cfg, &cfg.Enrich.Taxonomy), err)}
	}
	objs, err := index.KibanaObjects(cfg.Elasticsearch.Alias+"*", topics)
	if err != nil {
		return err
	}
	k, err := index.NewKibana(cfg.Kibana.URL, cfg.Elasticsearch, log)
	if err != nil {
		return usageError{err}
	}
	if err := k.WaitReady(ctx); err != nil {
		return err
	}
	res, err := k.Import(ctx, objs)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "kibana: %d saved objects imported (dashboard %q, %d topic searches)\n", res.SuccessCount, "News overview", len(topics))
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

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no, the cluster lacks it"
}
