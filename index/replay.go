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
type Progress struct {
	Done, Total int64 // messages handled, and to handle
	Elapsed     time.Duration
}

// Rate is the messages handled per second so far.
func (p Progress) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Done) / p.Elapsed.Seconds()
}

// ETA estimates the time left at the rate so far; zero when unknown.
func (p Progress) ETA() time.Duration {
	r := p.Rate()
	if r == 0 || p.Done >= p.Total {
		return 0
	}
	return time.Duration(float64(p.Total-p.Done) / r * float64(time.Second))
}

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
	first, last, err := topicBounds(ctx, cfg.Kafka.Brokers, cfg.Topics.Enriched)
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

// topicBounds returns the first and one-past-last offsets of every
// partition of topic.
func topicBounds(ctx context.Context, brokers []string, topic string) (first, last map[int]int64, err error) {
	client := &kafkago.Client{Addr: kafkago.TCP(brokers...), Timeout: 30 * time.Second}
	md, err := client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, nil, fmt.Errorf("reading metadata of %s: %w", topic, err)
	}
	if len(md.Topics) != 1 || md.Topics[0].Error != nil {
		var terr error
		if len(md.Topics) == 1 {
			terr = md.Topics[0].Error
		}
		return nil, nil, fmt.Errorf("reading metadata of %s: %v", topic, terr)
	}
	var reqs []kafkago.OffsetRequest
	for _, p := range md.Topics[0].Partitions {
		reqs = append(reqs, kafkago.FirstOffsetOf(p.ID), kafkago.LastOffsetOf(p.ID))
	}
	res, err := client.ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, nil, fmt.Errorf("listing offsets of %s: %w", topic, err)
	}
	first, last = map[int]int64{}, map[int]int64{}
	for _, po := range res.Topics[topic] {
		if po.Error != nil {
			return nil, nil, fmt.Errorf("listing offsets of %s partition %d: %w", topic, po.Partition, po.Error)
		}
		first[po.Partition], last[po.Partition] = po.FirstOffset, po.LastOffset
	}
	return first, last, nil
}
