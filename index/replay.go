package index

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
)

// Progress is how far a replay has come.
type Progress = kafka.Progress

// ReplayGroup returns the consumer group of a replay started at t: new
// each time, so the replay reads the whole retained topic whatever the
// running indexer or an earlier replay has committed.
func ReplayGroup(base string, t time.Time) string {
	return base + "-replay-" + t.UTC().Format("20060102T150405.000000")
}

// Replay indexes the enriched topic from its oldest retained message up
// to its end as of the start, in a new consumer group, and returns when
// it got there. Documents are idempotent by article id and versioned by
// enrichment time, so replaying over a live index rebuilds missing
// documents without duplicating or downgrading any. report, which may be
// nil, is called after every batch.
func Replay(ctx context.Context, cfg *config.Config, es *elasticsearch.Client, log *slog.Logger, reg prometheus.Registerer, report func(Progress)) (Progress, error) {
	start := time.Now()
	first, last, err := kafka.TopicBounds(ctx, cfg.Kafka.Brokers, cfg.Topics.Enriched)
	if err != nil {
		return Progress{}, err
	}
	p := Progress{}
	for part, end := range last {
		p.Total += end - first[part]
	}
	if report != nil {
		report(p)
	}
	if p.Total == 0 {
		p.Finished = true
		return p, nil
	}
	rcfg := *cfg
	rcfg.Index.Group = ReplayGroup(cfg.Index.Group, start)
	w := NewWorker(&rcfg, es, log, reg)
	defer w.Close()
	log.Info("replaying", "topic", cfg.Topics.Enriched, "group", rcfg.Index.Group, "messages", p.Total)

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var mu sync.Mutex       // batches are handled concurrently
	next := map[int]int64{} // partition → offset after the last one handled
	handle := func(hctx context.Context, batch []kafkago.Message) error {
		if err := w.handle(hctx, batch); err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for _, m := range batch {
			next[m.Partition] = max(next[m.Partition], m.Offset+1)
		}
		p.Done, p.Elapsed = 0, time.Since(start)
		caughtUp := true
		for part, end := range last {
			// Messages before first were deleted by retention after
			// the bounds were read; they count as done.
			p.Done += min(max(next[part], first[part]), end) - first[part]
			if next[part] < end && end > first[part] {
				caughtUp = false
			}
		}
		if report != nil {
			report(p)
		}
		p.Finished = caughtUp
		if caughtUp {
			stop() // Consume commits this batch, then returns
		}
		return nil
	}
	opts := kafka.BatchOptions{Max: cfg.Index.BatchSize, Linger: cfg.Index.FlushInterval, MaxBytes: cfg.Index.FlushBytes, Drain: cfg.Telemetry.ShutdownTimeout}
	if err := kafka.ConsumePipelined(runCtx, w.reader, opts, inFlight, log, handle); err != nil {
		return p, err
	}
	mu.Lock()
	defer mu.Unlock()
	if ctx.Err() != nil {
		return p, fmt.Errorf("replay interrupted after %d of %d messages: %w", p.Done, p.Total, ctx.Err())
	}
	return p, nil
}
